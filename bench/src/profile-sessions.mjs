// Profiles the sessions scenario's echo (issue 13): server and client-echo generator both with
// --cpu-prof into results/profiles/ (file names printed), with or without a session:
//   node src/profile-sessions.mjs [binary|json] [on|off] [seconds]
import { mkdirSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Child } from "./lib/proc.mjs";

const [format = "binary", mode = "on", seconds = "4"] = process.argv.slice(2);
const dir = fileURLToPath(new URL("../results/profiles/", import.meta.url));
mkdirSync(dir, { recursive: true });
const before = new Set(readdirSync(dir));
const prof = ["--expose-gc", "--cpu-prof", `--cpu-prof-dir=${dir}`];
const server = new Child("servers/taurus-sessions.mjs", ["echo", format, mode], prof);
const { port } = await server.next("listening", 10_000);
const config = {
  port,
  format,
  size: 64,
  connections: 10,
  window: 64,
  session: mode === "on",
  warmupMs: 500,
  durationMs: Number(seconds) * 1000,
};
const generator = new Child("generators/client-echo.mjs", [JSON.stringify(config)], prof);
const result = await generator.next("result", 60_000);
await generator.stop(5000);
await server.stop();
const files = readdirSync(dir)
  .filter((f) => !before.has(f) && f.endsWith(".cpuprofile"))
  .sort((a, b) => Number(a.split(".")[3]) - Number(b.split(".")[3]));
process.stdout.write(
  `${Math.round(Number(result.messagesPerSecond))} msg/s, ${Number(result.total)} echoes; profiles (server first):\n`,
);
for (const f of files) process.stdout.write(`  ${dir}${f}\n`);
