// The dashboard's queries, as tools/docs/scripts/dashboard.mjs evaluates them for the
// screenshot: every one is understood, and the evaluator computes sums, maxima and rates.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evaluate, parseMetrics, renderDashboard } from "../scripts/dashboard-render.mjs";

const dashboard = JSON.parse(
  readFileSync(new URL("../../../docs/grafana/taurus-dashboard.json", import.meta.url), "utf8"),
);

const scrape = (t, text) => ({ t, samples: parseMetrics(text) });
const first = scrape(
  0,
  [
    "# TYPE taurus_messages_received_total counter",
    'taurus_messages_received_total{protocol="json"} 10',
    'taurus_messages_received_total{protocol="binary"} 4',
    'taurus_handler_latency_seconds{protocol="json",quantile="0.99"} 0.002',
    'taurus_handler_latency_seconds{protocol="json",quantile="0.5"} 0.001',
  ].join("\n"),
);
const second = scrape(
  2000,
  [
    'taurus_messages_received_total{protocol="json"} 30',
    'taurus_messages_received_total{protocol="binary"} 10',
    'taurus_handler_latency_seconds{protocol="json",quantile="0.99"} 0.003',
  ].join("\n"),
);

describe("dashboard queries", () => {
  it("understands every query of docs/grafana/taurus-dashboard.json", () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) expect(() => evaluate(expr, [first, second])).not.toThrow();
    expect(() => evaluate("avg(taurus_x)", [first])).toThrow(/cannot evaluate/);
  });

  it("computes rates between scrapes, sums by label, and maxima with matchers", () => {
    const rate = evaluate("sum by (protocol) (rate(taurus_messages_received_total[1m]))", [
      first,
      second,
    ]);
    expect(rate.get('{"protocol":"json"}')).toEqual([{ t: 2000, v: 10 }]);
    expect(rate.get('{"protocol":"binary"}')).toEqual([{ t: 2000, v: 3 }]);
    const total = evaluate("sum(taurus_messages_received_total)", [first, second]);
    expect(total.get("{}")).toEqual([
      { t: 0, v: 14 },
      { t: 2000, v: 40 },
    ]);
    const p99 = evaluate('max by (protocol) (taurus_handler_latency_seconds{quantile="0.99"})', [
      first,
      second,
    ]);
    expect(p99.get('{"protocol":"json"}')).toEqual([
      { t: 0, v: 0.002 },
      { t: 2000, v: 0.003 },
    ]);
  });

  it("renders one panel per dashboard panel, with its legend", () => {
    const html = renderDashboard(dashboard, [
      { t: 0, text: 'taurus_messages_received_total{protocol="json"} 1' },
      { t: 1000, text: 'taurus_messages_received_total{protocol="json"} 5' },
    ]);
    expect(html.match(/<section>/g)).toHaveLength(dashboard.panels.length);
    expect(html).toContain("Messages received per second");
  });
});
