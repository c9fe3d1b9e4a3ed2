// Metrics shared by several sources in one registry: prom-client allows one metric per name,
// so two servers (or a server and a client) bridged with the same prefix and different
// constant labels write their series into one metric, each at scrape time.
import type {
  PromClientModule,
  PromCounter,
  PromGauge,
  PromLabels,
  PromRegistry,
} from "./prometheus";

/** What one source writes into a shared metric at scrape time. @internal */
export interface SeriesSpec {
  kind: "counter" | "gauge";
  name: string;
  help: string;
  labelNames: string[];
  /** The source's constant labels: two sources of one metric must differ in them. */
  labels: PromLabels;
  write(metric: PromCounter & PromGauge): void;
}

interface Entry {
  metric: unknown;
  kind: SeriesSpec["kind"];
  labelNames: string;
  sources: Map<string, SeriesSpec>;
}

const byRegistry = new WeakMap<object, Map<string, Entry>>();

function entries(registry: PromRegistry): Map<string, Entry> {
  let map = byRegistry.get(registry);
  if (!map) {
    map = new Map();
    byRegistry.set(registry, map);
  }
  return map;
}

const labelKey = (labels: PromLabels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * Whether `spec` can be registered: its name is free, or it is a metric of
 * this bridge with the same label names and no source with the same labels.
 *
 * @internal
 */
export function canRegister(registry: PromRegistry, spec: SeriesSpec): boolean {
  const existing = registry.getSingleMetric(spec.name);
  if (existing === undefined) return true;
  const entry = entries(registry).get(spec.name);
  return (
    entry !== undefined &&
    entry.metric === existing &&
    entry.kind === spec.kind &&
    entry.labelNames === spec.labelNames.join(",") &&
    !entry.sources.has(labelKey(spec.labels))
  );
}

/**
 * Registers `spec` (check {@link canRegister} first): creates the metric, or
 * joins the one already there.
 *
 * @returns what removes this source again (and the metric with its last source)
 * @internal
 */
export function registerSeries<R extends PromRegistry>(
  promClient: PromClientModule<R>,
  registry: R,
  spec: SeriesSpec,
): () => void {
  const map = entries(registry);
  let entry = map.get(spec.name);
  if (entry === undefined || registry.getSingleMetric(spec.name) !== entry.metric) {
    const sources = new Map<string, SeriesSpec>();
    const configuration = {
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [registry],
      collect(this: PromCounter & PromGauge) {
        this.reset();
        for (const source of sources.values()) source.write(this);
      },
    };
    const metric =
      spec.kind === "counter"
        ? new promClient.Counter(configuration)
        : new promClient.Gauge(configuration);
    entry = { metric, kind: spec.kind, labelNames: spec.labelNames.join(","), sources };
    map.set(spec.name, entry);
  }
  const key = labelKey(spec.labels);
  entry.sources.set(key, spec);
  const joined = entry;
  return () => {
    if (joined.sources.get(key) !== spec) return;
    joined.sources.delete(key);
    if (joined.sources.size > 0) return;
    if (map.get(spec.name) === joined) map.delete(spec.name);
    if (registry.getSingleMetric(spec.name) === joined.metric) {
      registry.removeSingleMetric(spec.name);
    }
  };
}
