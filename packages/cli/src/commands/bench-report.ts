// What taurus bench prints: the live line, the final table, and the JSON result.
import type { Run } from "./bench";

export interface BenchResult {
  address: string;
  protocol: string;
  mode: string;
  connections: number;
  pipeline: number;
  size: number;
  durationMs: number;
  messages: number;
  perSecond: number;
  /** Latency percentiles in milliseconds (within 6.25 %: the @taurus/metrics histogram). */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const group = (n: number) => Math.round(n).toLocaleString("en-US");

export function summarize(
  run: Run,
  setup: Omit<BenchResult, "durationMs" | "messages" | "perSecond" | "latencyMs"> & {
    elapsedMs: number;
  },
): BenchResult {
  const { elapsedMs, ...rest } = setup;
  const h = run.latency;
  const ms = (ns: number) => (h.count ? round(ns / 1e6) : 0);
  return {
    ...rest,
    durationMs: Math.round(elapsedMs),
    messages: h.count,
    perSecond: Math.round(h.count / (elapsedMs / 1000)),
    latencyMs: {
      p50: ms(h.percentile(50)),
      p90: ms(h.percentile(90)),
      p99: ms(h.percentile(99)),
      p999: ms(h.percentile(99.9)),
      max: ms(h.max),
      mean: h.count ? round(h.sum / h.count / 1e6) : 0,
    },
  };
}

export function progressLine(s: {
  elapsedMs: number;
  messages: number;
  p50: number;
  p99: number;
}): string {
  const rate = s.elapsedMs > 0 ? s.messages / (s.elapsedMs / 1000) : 0;
  return `  ${(s.elapsedMs / 1000).toFixed(1)} s  ${group(s.messages)} answered  ${group(rate)}/s  p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms`;
}

export function formatTable(r: BenchResult): string[] {
  const head = `${r.address} (${r.protocol}): ${r.mode}, ${r.connections} connection${r.connections === 1 ? "" : "s"}, ${r.mode === "echo" ? `pipeline ${r.pipeline}, ` : ""}${r.size} B, ${(r.durationMs / 1000).toFixed(1)} s`;
  const l = r.latencyMs;
  const cols: Array<[string, string]> = [
    ["messages", group(r.messages)],
    ["msg/s", group(r.perSecond)],
    ["p50 ms", l.p50.toFixed(3)],
    ["p90 ms", l.p90.toFixed(3)],
    ["p99 ms", l.p99.toFixed(3)],
    ["p99.9 ms", l.p999.toFixed(3)],
    ["max ms", l.max.toFixed(3)],
  ];
  const widths = cols.map(([a, b]) => Math.max(a.length, b.length));
  return [
    head,
    "",
    cols.map(([a], i) => a.padStart(widths[i] as number)).join("  "),
    cols.map(([, b], i) => b.padStart(widths[i] as number)).join("  "),
  ];
}
