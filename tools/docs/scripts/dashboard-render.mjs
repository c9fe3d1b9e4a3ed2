// Evaluates a Grafana dashboard's PromQL over /metrics scrapes and draws its panels as one
// HTML page of SVG charts. Only the forms the Taurus dashboard uses are understood:
// `sum|max [by (labels)] (metric{matchers})` and the same over `rate(metric[w])` (a rate
// between consecutive scrapes). Every sample gets `instance="chat-server"`, as a Prometheus
// scrape would add.

const EXPR =
  /^(sum|max)(?: by \(([\w,\s]*)\))? ?\((?:(rate)\((\w+)(?:\{([^}]*)\})?\[\w+\]\)|(\w+)(?:\{([^}]*)\})?)\)$/;

/** Parses Prometheus text into samples `{ name, labels, value }`. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = { instance: "chat-server" };
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const matchers = (text) => [...(text ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]);

/** One target over the scrapes: a map of series key -> [{ t, v }]. */
export function evaluate(expr, scrapes) {
  const m = EXPR.exec(expr.trim());
  if (!m) throw new Error(`dashboard: cannot evaluate ${expr}`);
  const [, agg, by, rate, rateName, rateMatch, name, match] = m;
  const metric = rate ? rateName : name;
  const want = matchers(rate ? rateMatch : match);
  const groupBy = (by ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const pick = (samples) =>
    samples.filter((s) => s.name === metric && want.every(([k, v]) => s.labels[k] === v));
  const result = new Map();
  let previous;
  for (const scrape of scrapes) {
    const now = new Map(pick(scrape.samples).map((s) => [JSON.stringify(s.labels), s]));
    const values = [];
    if (!rate) values.push(...now.values());
    else if (previous) {
      const dt = (scrape.t - previous.t) / 1000;
      for (const [key, s] of now) {
        const before = previous.series.get(key);
        if (before)
          values.push({ labels: s.labels, value: Math.max(0, s.value - before.value) / dt });
      }
    }
    if (!rate || previous) {
      const groups = new Map();
      for (const s of values) {
        const key = JSON.stringify(Object.fromEntries(groupBy.map((l) => [l, s.labels[l] ?? ""])));
        const g = groups.get(key);
        groups.set(
          key,
          g === undefined ? s.value : agg === "sum" ? g + s.value : Math.max(g, s.value),
        );
      }
      for (const [key, v] of groups) {
        if (!result.has(key)) result.set(key, []);
        result.get(key).push({ t: scrape.t, v });
      }
    }
    previous = { t: scrape.t, series: now };
  }
  return result;
}

const COLORS = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9"];

function format(v, unit) {
  const scale = (n, steps, base) => {
    let i = 0;
    while (Math.abs(n) >= base && i < steps.length - 1) {
      n /= base;
      i += 1;
    }
    return `${Number(n.toPrecision(3))}${steps[i]}`;
  };
  if (unit === "bytes") return scale(v, [" B", " KiB", " MiB", " GiB"], 1024);
  if (unit === "Bps") return scale(v, [" B/s", " KiB/s", " MiB/s"], 1024);
  if (unit === "s")
    return v < 1 ? `${Number((v * 1000).toPrecision(3))} ms` : `${v.toPrecision(3)} s`;
  if (unit === "ops") return scale(v, [" /s", "k /s", "M /s"], 1000);
  return scale(v, ["", "k", "M"], 1000);
}

function chart(panel, scrapes) {
  const W = 660;
  const H = 220;
  const L = 70;
  const lines = [];
  for (const target of panel.targets) {
    for (const [key, points] of evaluate(target.expr, scrapes)) {
      const labels = JSON.parse(key);
      const legend = target.legendFormat.replace(/\{\{(\w+)\}\}/g, (_, l) => labels[l] ?? "");
      lines.push({ legend, points });
    }
  }
  const tMax = Math.max(...scrapes.map((s) => s.t));
  const unit = panel.fieldConfig?.defaults?.unit;
  // An axis of at least 1 (1 ms for durations): all-zero series lie flat at the bottom.
  const floor = unit === "s" ? 0.001 : 1;
  const vMax = Math.max(floor, ...lines.flatMap((l) => l.points.map((p) => p.v))) * 1.1;
  const x = (t) => L + (t / tMax) * (W - L - 10);
  const y = (v) => H - 20 - (v / vMax) * (H - 30);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = f * vMax;
      return `<line x1="${L}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${format(v, unit)}</text>`;
    })
    .join("");
  const ticks = [0, 0.5, 1]
    .map(
      (f) =>
        `<text x="${x(f * tMax)}" y="${H - 4}" text-anchor="middle">${Math.round((f * tMax) / 1000)} s</text>`,
    )
    .join("");
  const paths = lines
    .map((l, i) => {
      const d = l.points.map((p, j) => `${j ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
      return `<path d="${d.join("")}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`;
    })
    .join("");
  const legend = lines
    .map(
      (l, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${l.legend}</span>`,
    )
    .join("");
  return `<section><h2>${panel.title}</h2><svg viewBox="0 0 ${W} ${H}">${grid}${ticks}${paths}</svg><div class="legend">${legend || "no data"}</div></section>`;
}

/** The whole page: every panel of `dashboard`, in its grid order. */
export function renderDashboard(dashboard, raw) {
  const scrapes = raw.map((s) => ({ t: s.t, samples: parseMetrics(s.text) }));
  const panels = [...dashboard.panels].sort(
    (a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x,
  );
  return `<!doctype html><meta charset="utf-8"><style>
body{margin:0;padding:16px;background:#111217;color:#ccccdc;font:13px Inter,Helvetica,Arial,sans-serif}
h1{font-size:18px;font-weight:500;margin:0 0 4px}p{margin:0 0 12px;color:#8e8e8e}
main{display:grid;grid-template-columns:1fr 1fr;gap:8px}
section{background:#181b1f;border:1px solid #2c3235;border-radius:2px;padding:8px}
h2{font-size:14px;font-weight:500;margin:0 0 4px}svg{width:100%;font-size:11px;fill:#8e8e8e}
.legend span{margin-right:14px}.legend i{display:inline-block;width:14px;height:4px;margin-right:5px;vertical-align:middle}
</style><h1>${dashboard.title}</h1><p>Rendered from ${scrapes.length} real /metrics scrapes by tools/docs/scripts/dashboard.mjs (the dashboard's queries, not Grafana; rates between consecutive scrapes)</p><main>${panels.map((p) => chart(p, scrapes)).join("")}</main>`;
}
