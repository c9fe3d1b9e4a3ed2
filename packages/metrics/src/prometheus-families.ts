// Several sources (servers, clients) in one prom-client registry under one prefix: each
// metric name is one family, registered once, whose collect() reads every source that
// joined it. Sources tell themselves apart by their constant labels.
import { invalidOption } from "./errors";
import type { PromClientModule, PromLabels, PromRegistry } from "./prometheus";

/** Reports one series of a metric. */
export type Emit = (labels: PromLabels, value: number) => void;

/** One metric as one registration defines it. */
export interface SeriesSpec {
  /** Full name, prefix included. */
  name: string;
  help: string;
  type: "counter" | "gauge";
  /** Label names beyond the constant ones (`kind`, `code`, `quantile`). */
  extraLabels: string[];
  /** Emits this source's series; labels given to `emit` are added to the constant ones. */
  read(emit: Emit): void;
}

interface Source {
  labels: PromLabels;
  read(emit: Emit): void;
}

interface Family {
  metric: unknown;
  labelNames: string[];
  sources: Set<Source>;
}

const families = new WeakMap<object, Map<string, Family>>();

const sameNames = (a: string[], b: string[]): boolean =>
  a.length === b.length && a.every((n, i) => n === b[i]);

const sameValues = (a: PromLabels, b: PromLabels): boolean =>
  Object.keys(a).every((k) => a[k] === b[k]);

/**
 * Adds one source's metrics to `registry`: a name first seen is registered, a name this
 * bridge registered before gains the source. Checks everything before changing anything.
 *
 * @returns a function that takes the source's series out again (idempotent); a family left
 *   without sources is unregistered
 * @throws `TaurusError` (`option: "prefix"`) when a name is taken by a metric
 *   of someone else; (`option: "labels"`) when the family's label names differ, or another
 *   source already has the same label values
 */
export function joinFamilies<R extends PromRegistry>(
  promClient: PromClientModule<R>,
  registry: R,
  specs: SeriesSpec[],
  labels: PromLabels,
  prefix: string,
): () => void {
  let byName = families.get(registry);
  if (byName === undefined) {
    byName = new Map();
    families.set(registry, byName);
  }
  const constant = Object.keys(labels);
  for (const spec of specs) {
    const existing = registry.getSingleMetric(spec.name);
    if (existing === undefined) continue;
    const family = byName.get(spec.name);
    if (family === undefined || family.metric !== existing) {
      throw invalidOption(
        "prefix",
        `a prefix whose names are free in the registry (${spec.name} is taken)`,
        prefix,
      );
    }
    const labelNames = [...constant, ...spec.extraLabels];
    if (!sameNames(family.labelNames, labelNames)) {
      throw invalidOption(
        "labels",
        `the label names of the metrics already under this prefix (${family.labelNames.join(", ")})`,
        constant.join(", ") || "none",
      );
    }
    for (const other of family.sources) {
      if (sameValues(other.labels, labels)) {
        throw invalidOption(
          "labels",
          "label values that tell this source from the others under this prefix",
          JSON.stringify(labels),
        );
      }
    }
  }

  const joined: Array<[string, Source]> = [];
  for (const spec of specs) {
    const source: Source = { labels, read: spec.read };
    let family = byName.get(spec.name);
    if (family === undefined || registry.getSingleMetric(spec.name) !== family.metric) {
      family = create(promClient, registry, spec, [...constant, ...spec.extraLabels]);
      byName.set(spec.name, family);
    }
    family.sources.add(source);
    joined.push([spec.name, source]);
  }

  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    for (const [name, source] of joined) {
      const family = byName.get(name);
      if (family === undefined) continue;
      family.sources.delete(source);
      if (family.sources.size === 0) {
        byName.delete(name);
        if (registry.getSingleMetric(name) === family.metric) registry.removeSingleMetric(name);
      }
    }
  };
}

function create<R extends PromRegistry>(
  promClient: PromClientModule<R>,
  registry: R,
  spec: SeriesSpec,
  labelNames: string[],
): Family {
  const sources = new Set<Source>();
  const each = (emit: (labels: PromLabels, value: number) => void): void => {
    for (const source of sources) {
      source.read((extra, value) => emit({ ...source.labels, ...extra }, value));
    }
  };
  const configuration = { name: spec.name, help: spec.help, labelNames, registers: [registry] };
  const metric =
    spec.type === "counter"
      ? new promClient.Counter({
          ...configuration,
          collect() {
            this.reset();
            each((l, v) => this.inc(l, v));
          },
        })
      : new promClient.Gauge({
          ...configuration,
          collect() {
            this.reset();
            each((l, v) => this.set(l, v));
          },
        });
  return { metric, labelNames, sources };
}
