// `pnpm bench`: runs every scenario against Taurus and the baselines in one run, prints a
// table of figures, ratios and targets, and writes results/latest.{json,md}.
// `--quick` (the package's test): small counts and durations, results/quick.{json,md}, and a
// non-zero exit when a scenario produced no numbers. `--profile`: Taurus servers run with
// --cpu-prof into results/profiles/. `--only=echo,latency`: a subset of the scenarios.
// `--rounds=N`: rounds of the interleaved scenarios (ceiling; default 5, quick 1).
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { killAll } from "./lib/proc.mjs";
import { report } from "./report.mjs";
import { broadcast } from "./scenarios/broadcast.mjs";
import { ceiling } from "./scenarios/ceiling.mjs";
import { churn } from "./scenarios/churn.mjs";
import { echo } from "./scenarios/echo.mjs";
import { fanoutRedis } from "./scenarios/fanout-redis.mjs";
import { fanoutWorkers } from "./scenarios/fanout-workers.mjs";
import { idle } from "./scenarios/idle.mjs";
import { latency } from "./scenarios/latency.mjs";
import { sessions } from "./scenarios/sessions.mjs";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const SCENARIOS = {
  ceiling,
  echo,
  latency,
  idle,
  broadcast,
  churn,
  fanoutWorkers,
  fanoutRedis,
  sessions,
};

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const profileDir = args.includes("--profile") ? `${RESULTS}profiles` : undefined;
const roundsArg = args.find((a) => a.startsWith("--rounds="))?.slice(9);
const rounds = roundsArg === undefined ? undefined : Number(roundsArg);

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

const started = Date.now();
/** @type {Record<string, unknown[]>} */
const results = {};
/** @type {string[]} */
const failures = [];
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  const scenarioStarted = Date.now();
  try {
    results[name] = await run({ quick, profileDir, rounds });
  } catch (err) {
    failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    results[name] = [];
  }
  process.stdout.write(
    `scenario ${name}: ${((Date.now() - scenarioStarted) / 1000).toFixed(1)} s\n`,
  );
}
killAll();

const cpus = os.cpus();
const machine = {
  cpuModel: cpus[0]?.model ?? "unknown",
  cpuCount: cpus.length,
  totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
  platform: `${os.platform()} ${os.release()}`,
  node: process.version,
  note:
    cpus.length <= 2
      ? `${cpus.length} cores: the server and the load generator each get about one core, and contend with each other (and with the orchestrator, mostly idle). Absolute figures are low; compare ratios.`
      : `${cpus.length} cores`,
};
const { ratios, targets, markdown, missing } = report(results, machine, quick);
const output = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  durationSeconds: Math.round((Date.now() - started) / 1000),
  machine,
  results,
  ratios,
  targets,
  failures,
};
mkdirSync(RESULTS, { recursive: true });
const base = quick ? "quick" : only ? "partial" : "latest";
writeFileSync(`${RESULTS}${base}.json`, `${JSON.stringify(output, null, 2)}\n`);
writeFileSync(`${RESULTS}${base}.md`, markdown);
process.stdout.write(
  `${markdown}\nwritten: bench/results/${base}.json, ${base}.md (${output.durationSeconds} s)\n`,
);

const problems = [...failures, ...missing];
if (problems.length > 0) {
  process.stderr.write(`scenarios without figures:\n  ${problems.join("\n  ")}\n`);
  process.exit(1);
}
