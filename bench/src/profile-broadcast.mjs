// Profiles one server under the broadcast scenario (one sender, `receivers` readers, 64 B
// binary) and prints its CPU time per delivery:
//   node src/profile-broadcast.mjs [server] [receivers] [seconds]
// The server (default servers/taurus-binary.mjs; servers/raw-binary.mjs is the baseline) is
// profiled over the measured window only (warmed up, all receivers connected), into
// results/profiles/broadcast-<server>.cpuprofile; read it with src/profile-top.mjs.
import { mkdirSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { Child, startGenerator } from "./lib/proc.mjs";

const [server = "servers/taurus-binary.mjs", receivers = "1000", seconds = "4"] =
  process.argv.slice(2);
const dir = fileURLToPath(new URL("../results/profiles/", import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}broadcast-${basename(server, ".mjs")}.cpuprofile`;
const child = new Child(server, ["broadcast"], ["--expose-gc"]);
const { port } = await child.next("listening", 10_000);
const generator = startGenerator("broadcast", {
  port,
  receivers: Number(receivers),
  size: 64,
  window: 16,
  warmupMs: 1000,
  durationMs: Number(seconds) * 1000,
});
await generator.next("connected", 60_000);
for (let i = 0; i < 100; i++) {
  const stats = await child.request({ type: "stats" });
  if (Number(stats.connections) > Number(receivers)) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await child.request({ type: "profile", action: "start" });
const cpuBefore = Number((await child.request({ type: "cpu" })).micros);
generator.send({ type: "go" });
const r = await generator.next("result", 60_000);
const cpuAfter = Number((await child.request({ type: "cpu" })).micros);
await child.request({ type: "profile", action: "stop", path: file });
await generator.stop();
await child.stop();
const ns = Math.round(((cpuAfter - cpuBefore) * 1000) / Math.max(1, Number(r.total)));
process.stdout.write(
  `${Math.round(Number(r.deliveriesPerSecond))} deliveries/s, ${Number(r.total)} deliveries, ${ns} ns CPU per delivery; profile ${file}\n`,
);
