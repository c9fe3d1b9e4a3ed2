// SVG bar charts drawn from bench/results/latest.json for the benchmarks guide.

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const group = (n) => Math.round(n).toLocaleString("en-US");

const COLORS = { taurus: "#2f6fbf", raw: "#8a8f98", ws: "#c9822b", other: "#5a9e6f" };
const colorOf = (label) =>
  label.startsWith("Taurus")
    ? COLORS.taurus
    : label.startsWith("raw")
      ? COLORS.raw
      : label === "ws"
        ? COLORS.ws
        : COLORS.other;

/**
 * A horizontal bar chart: one bar per row, the value printed after it.
 * @param {{ title: string, unit: string, rows: Array<{ label: string, value: number }> }} chart
 */
export function barChart({ title, unit, rows }) {
  const width = 720;
  const labelWidth = 230;
  const barHeight = 22;
  const gap = 8;
  const top = 40;
  const max = Math.max(...rows.map((r) => r.value), 1);
  const plot = width - labelWidth - 140;
  const height = top + rows.length * (barHeight + gap) + 10;
  const bars = rows
    .map((r, i) => {
      const y = top + i * (barHeight + gap);
      const w = Math.max(1, (r.value / max) * plot);
      return [
        `<text x="${labelWidth - 8}" y="${y + barHeight * 0.7}" text-anchor="end">${esc(r.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colorOf(r.label)}" rx="2"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + barHeight * 0.7}">${esc(group(r.value))} ${esc(unit)}</text>`,
      ].join("");
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13" role="img" aria-label="${esc(title)}">
<title>${esc(title)}</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="600">${esc(title)}</text>
${bars}
</svg>
`;
}

const NAMES = {
  "taurus-binary": "Taurus binary",
  "taurus-json": "Taurus JSON",
  "raw-binary": "raw node:net (binary)",
  "raw-json": "raw node:net (JSON)",
  "bare-echo": "bare node:net (nothing per socket)",
  "cafe-echo": "hand-written CAFE echo",
  ws: "ws",
};
const name = (s) => NAMES[s] ?? s;

/** Every chart of the guide, as `{ file, title, svg }`, from a latest.json object. */
export function benchCharts(results) {
  const charts = [];
  const echo = results.results?.echo ?? [];
  for (const [size, label] of [
    [64, "64 B"],
    [1024, "1 KiB"],
  ]) {
    const rows = [];
    for (const connections of [1, 100]) {
      for (const e of echo.filter((x) => x.size === size && x.connections === connections)) {
        rows.push({ label: `${name(e.server)}, ${connections} conn.`, value: e.messagesPerSecond });
      }
    }
    if (rows.length)
      charts.push({
        file: `echo-${size}.svg`,
        title: `Echo of ${label} messages: messages per second (higher is better)`,
        unit: "/s",
        rows,
      });
  }
  const latency = results.results?.latency ?? [];
  if (latency.length) {
    charts.push({
      file: "latency-p99.svg",
      title: "Request/reply p99 latency (lower is better)",
      unit: "µs",
      rows: latency.map((l) => ({
        label: `${name(l.server)}, ${l.connections} conn.`,
        value: l.p99,
      })),
    });
  }
  const idle = results.results?.idle ?? [];
  if (idle.length) {
    charts.push({
      file: "idle-memory.svg",
      title: `Memory per idle connection (${group(idle[0].connections)} connections; lower is better)`,
      unit: "B",
      rows: idle.flatMap((i) => [
        { label: `${name(i.server)}, RSS`, value: i.rssPerConnection },
        { label: `${name(i.server)}, JS heap`, value: i.heapPerConnection },
      ]),
    });
  }
  const fanout = results.results?.fanoutWorkers ?? [];
  if (fanout.length) {
    charts.push({
      file: "fanout-workers.svg",
      title: `chat-server broadcast to ${group(fanout[0].receivers)} receivers: deliveries per second`,
      unit: "/s",
      rows: fanout.map((f) => ({
        label:
          f.workers === 0
            ? "one process"
            : `${f.workers} worker${f.workers === 1 ? "" : "s"} (${f.backplane})`,
        value: f.deliveriesPerSecond,
      })),
    });
  }
  return charts.map((c) => ({ ...c, svg: barChart(c) }));
}
