// Draws docs/grafana/dashboard.png: the panels of docs/grafana/taurus-dashboard.json,
// evaluated over real /metrics scrapes of the built chat-server while JSON and binary
// clients chat, one of them sends garbage and a few connections are refused. It is not
// Grafana: this script evaluates the dashboard's own PromQL (the few forms it uses) and
// draws the series in headless Chromium (Debian's chromium, driven by playwright-core).
//
//   pnpm --filter @taurus/chat-server build && pnpm --filter @taurus/tools-docs dashboard
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Connection } from "@taurus/core-conn";
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol } from "@taurus/protocol-json";
import { chromium } from "playwright-core";
import { evaluate, renderDashboard } from "./dashboard-render.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const dashboard = JSON.parse(
  readFileSync(join(root, "docs/grafana/taurus-dashboard.json"), "utf8"),
);
// Every query understood before anything starts.
for (const panel of dashboard.panels) for (const t of panel.targets) evaluate(t.expr, []);
const SCRAPES = Number(process.env.SCRAPES ?? 16);
const INTERVAL = 3000;

function startServer() {
  const proc = spawn(
    process.execPath,
    [
      join(root, "apps/chat-server/dist/main.js"),
      ...["--host", "127.0.0.1", "--json-port", "0", "--binary-port", "0", "--metrics-port", "0"],
      ...["--log-format", "json", "--max-connections", "6"],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let buffered = "";
    proc.stderr.on("data", (chunk) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
        const entry = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (entry.msg === "listening") resolve({ proc, ...entry });
      }
    });
    proc.once("exit", (code) => reject(new Error(`chat-server exited with ${code}`)));
  });
}

async function peer(port, kind, name) {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((r, j) => socket.once("connect", r).once("error", j));
  const protocol = kind === "json" ? createJsonProtocol() : createBinaryProtocol();
  const conn = new Connection(socket, protocol);
  conn.on("error", () => {});
  let sequence = 0;
  const say = (type, content) => {
    sequence += 1;
    const chat = { type, sequence, from: name, to: "", content };
    conn.send(
      kind === "json"
        ? { type, sequence, data: { from: name, to: "", content }, timestamp: 0n }
        : { version: 1, type, sequence, data: Buffer.from(JSON.stringify(chat)) },
    );
  };
  say(1, "joined");
  return { conn, say };
}

const server = await startServer();
const peers = [];
for (let i = 0; i < 6; i++) {
  const kind = i % 3 === 2 ? "binary" : "json";
  peers.push(await peer(kind === "json" ? server.json : server.binary, kind, `user${i}`));
}
const samples = [];
const started = Date.now();
let tick = 0;
const talk = setInterval(() => {
  tick += 1;
  // Traffic that rises, then falls; binary peers talk in bursts.
  const phase = (Date.now() - started) / (SCRAPES * INTERVAL);
  const n = Math.round(2 + 10 * Math.sin(Math.PI * phase));
  for (const [i, p] of peers.entries()) {
    if (i % 3 === 2 && tick % 20 > 10) continue;
    for (let k = 0; k < n; k++) p.say(2, `message ${tick}.${k}`);
  }
}, 50);
for (let s = 0; s < SCRAPES; s++) {
  if (s === 5) {
    // Garbage on the binary port: a protocol error, the connection closed.
    const bad = net.connect({ host: "127.0.0.1", port: server.binary });
    bad.on("error", () => {});
    bad.write(Buffer.alloc(64, 0x41));
  }
  if (s === 9) {
    // Past --max-connections: refused.
    for (let i = 0; i < 4; i++) {
      const extra = net.connect({ host: "127.0.0.1", port: server.json });
      extra.on("error", () => {});
      setTimeout(() => extra.destroy(), 500);
    }
  }
  const text = await (await fetch(`http://127.0.0.1:${server.metrics}/metrics`)).text();
  samples.push({ t: Date.now() - started, text });
  await new Promise((r) => setTimeout(r, INTERVAL));
}
clearInterval(talk);
for (const p of peers) p.conn.destroy();
server.proc.kill("SIGTERM");

const html = renderDashboard(dashboard, samples);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.setContent(html);
  const out = join(root, "docs/grafana/dashboard.png");
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out} from ${samples.length} scrapes`);
} finally {
  await browser.close();
}
