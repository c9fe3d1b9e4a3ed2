// `pnpm coverage`: runs the tests of every package and app (turbo: cached when nothing
// changed; coverage is measured by the test task itself, which fails below the thresholds
// in coverage-thresholds.json) and prints one table of what is covered.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = spawnSync(
  "pnpm",
  [
    "exec",
    "turbo",
    "run",
    "test",
    "--filter=./packages/*",
    "--filter=./apps/*",
    "--concurrency=2",
    "--output-logs=errors-only",
  ],
  { cwd: root, stdio: "inherit" },
);

const thresholds = JSON.parse(readFileSync(join(root, "coverage-thresholds.json"), "utf8"));
const KEYS = ["statements", "branches", "functions", "lines"];
const rows = [];
for (const base of ["packages", "apps"]) {
  for (const dir of readdirSync(join(root, base)).sort()) {
    const summary = join(root, base, dir, "coverage", "coverage-summary.json");
    if (!existsSync(summary)) continue;
    const { name } = JSON.parse(readFileSync(join(root, base, dir, "package.json"), "utf8"));
    const total = JSON.parse(readFileSync(summary, "utf8")).total;
    rows.push([
      name,
      ...KEYS.map((k) => {
        const min = thresholds[name]?.[k] ?? 0;
        return `${total[k].pct.toFixed(1)} (>= ${min})${total[k].pct < min ? " LOW" : ""}`;
      }),
    ]);
  }
}
const head = ["package", ...KEYS.map((k) => `${k} %`)];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log(`\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
for (const r of rows) console.log(line(r));
console.log(
  "\nPer-file figures: coverage/coverage-summary.json in each package; thresholds: coverage-thresholds.json.",
);
process.exit(run.status ?? 1);
