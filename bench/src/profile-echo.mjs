// Profiles one Taurus echo server under one workload and prints its top functions:
//   node src/profile-echo.mjs [binary|json] [size] [connections] [seconds] [window]
// The server runs with --cpu-prof into results/profiles/; the generator is bench's echo.
// PROFILE_SERVER=servers/cafe-echo.mjs profiles a baseline under the same workload instead;
// PROFILE_SERVER_ARGS adds arguments after "echo" (`json` for servers/bare-echo.mjs).
import { mkdirSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Child, runGenerator } from "./lib/proc.mjs";

const [format = "binary", size = "1024", connections = "1", seconds = "4", window = "1000"] =
  process.argv.slice(2);
const dir = fileURLToPath(new URL("../results/profiles/", import.meta.url));
mkdirSync(dir, { recursive: true });
const before = new Set(readdirSync(dir, { withFileTypes: false }).map(String));
const child = new Child(
  process.env.PROFILE_SERVER ?? `servers/taurus-${format}.mjs`,
  ["echo", ...(process.env.PROFILE_SERVER_ARGS?.split(" ").filter(Boolean) ?? [])],
  ["--expose-gc", "--cpu-prof", `--cpu-prof-dir=${dir}`],
);
const { port } = await child.next("listening", 10_000);
const r = await runGenerator(
  "echo",
  {
    port,
    format,
    transport: "tcp",
    size: Number(size),
    connections: Number(connections),
    window: Number(window),
    warmupMs: 500,
    durationMs: Number(seconds) * 1000,
  },
  60_000,
);
await child.stop();
const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(".cpuprofile"));
process.stdout.write(`${Math.round(Number(r.messagesPerSecond))} msg/s; profile ${dir}${file}\n`);
