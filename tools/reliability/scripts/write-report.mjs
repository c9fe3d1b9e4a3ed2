// Writes docs/RELIABILITY.md from the stress run: the per-case summaries in
// results/stress/*.json and vitest's JSON report (results/stress/vitest.json).
// Usage: node scripts/write-report.mjs   (run by `pnpm test:stress` after the tests)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const results = join(here, "..", "results", "stress");
const out = join(here, "..", "..", "..", "docs", "RELIABILITY.md");

if (!existsSync(results)) {
  console.error(`no stress results in ${results}: run pnpm test:stress first`);
  process.exit(1);
}
const summaries = readdirSync(results)
  .filter((f) => f.endsWith(".json") && !/^vitest(-.+)?\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(results, f), "utf8")));
// vitest.json is the latest run. A partial rerun (some test files only) keeps the earlier
// full run's report under another name (vitest-<anything>.json, renamed by hand before the
// rerun): each test file's results come from the newest report that ran it.
const reports = readdirSync(results)
  .filter((f) => /^vitest(-.+)?\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(results, f), "utf8")))
  .sort((a, b) => a.startTime - b.startTime);
const byFile = new Map();
for (const report of reports) {
  for (const file of report.testResults) {
    byFile.set(file.name.replace(/^.*\/src\//, "src/"), { file, startTime: report.startTime });
  }
}
const tests = [...byFile.values()].flatMap(({ file }) =>
  file.assertionResults.map((t) => ({
    file: file.name.replace(/^.*\/src\//, "src/"),
    name: t.fullName,
    status: t.status,
    ms: Math.round(t.duration ?? 0),
    failure: (t.failureMessages ?? []).join("\n").split("\n")[0],
  })),
);

const esc = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");
const groups = [
  "Bad input",
  "Decoder fuzzing",
  "Slow and greedy peers",
  "Faults",
  "Hostile peers, default options",
  "Scale-out",
  "Sessions",
];
/** The directions the session cases count apart (observed.directions). */
const DIRECTIONS = ["client to server", "server to client"];
const lines = [];
lines.push("# Reliability report");
lines.push("");
lines.push(
  "Produced by `pnpm --filter @taurus/tools-reliability test:stress` (tools/reliability), which runs every hostile-peer and fault case at full scale on 127.0.0.1 and then writes this file with `scripts/write-report.mjs`. Do not edit by hand: re-run the stress suite.",
);
lines.push("");
const runs = reports.map((report) => {
  const files = [...byFile.entries()].filter(([, v]) => v.startTime === report.startTime);
  const all = files.length === report.testResults.length ? "" : " (partly superseded)";
  return reports.length === 1
    ? new Date(report.startTime).toISOString()
    : `${new Date(report.startTime).toISOString()}: ${files.map(([f]) => f).join(", ")}${all}`;
});
const when = runs.length === 0 ? "unknown" : runs.join("; ");
const passed = tests.filter((t) => t.status === "passed").length;
const failed = tests.filter((t) => t.status === "failed");
lines.push(`- Run: ${when}, Node ${process.version}, ${process.platform}/${process.arch}`);
lines.push(`- Tests: ${passed} passed, ${failed.length} failed, ${tests.length} in all`);
const totalLost = summaries.reduce((n, s) => n + (Number(s.lost) || 0), 0);
// A case run with sessions promises exactly once: a loss there is a defect, not a documented
// path, except a server message not yet in the session store when its server was killed (at
// most once until stored: server.sessionStored), which the kill cases count apart.
const UNSTORED =
  "server messages sent, not yet in the store at a kill (seen by the client / lost: at most once)";
const unstoredLost = (s) => Number(s.observed?.[UNSTORED]?.lost) || 0;
const promised = (s) => /with sessions/.test(s.title);
const lossy = summaries
  .filter((s) => Number(s.lost) > 0 && (!promised(s) || Number(s.lost) === unstoredLost(s)))
  .map((s) => s.title);
const broken = summaries
  .filter((s) => promised(s) && Number(s.lost) - unstoredLost(s) > 0)
  .map((s) => s.title);
lines.push(
  `- Lost across every case with a summary: **${totalLost}**, every loss counted (in flight included)${
    lossy.length > 0
      ? `; in ${lossy.length} case(s), each a documented at-most-once path: ${lossy.map(esc).join("; ")}`
      : ""
  }${
    broken.length > 0
      ? `; **in ${broken.length} case(s) with sessions, which promise exactly once (defects)**: ${broken.map(esc).join("; ")}`
      : ""
  }`,
);
const sessionCases = summaries.filter((s) => s.observed?.directions);
for (const withSessions of [false, true]) {
  const cases = sessionCases.filter((s) => /with sessions/.test(s.title) === withSessions);
  if (cases.length === 0) continue;
  const parts = DIRECTIONS.map((d) => {
    const sum = (k) => cases.reduce((n, s) => n + (Number(s.observed.directions[d]?.[k]) || 0), 0);
    return `${d}: ${sum("lost")} lost, ${sum("duplicated")} duplicated, ${sum("reordered")} reordered of ${sum("accepted")} accepted`;
  });
  const unstored = cases.reduce((n, s) => n + unstoredLost(s), 0);
  const window = withSessions
    ? `; besides, server messages not yet in the session store when their server was killed: ${unstored} lost (at most once until stored)`
    : "";
  lines.push(
    `- Broken connections and killed servers, ${withSessions ? "with" : "without"} sessions (${cases.length} cases): ${parts.join("; ")}${window}`,
  );
}
lines.push("");
if (failed.length > 0) {
  lines.push("## Failing cases (defects to fix)");
  lines.push("");
  for (const t of failed) lines.push(`- \`${t.file}\` › ${esc(t.name)}: ${esc(t.failure)}`);
  lines.push("");
}
for (const group of groups) {
  const inGroup = summaries
    .filter((s) => s.group === group)
    .sort((a, b) => a.id.localeCompare(b.id));
  if (inGroup.length === 0) continue;
  lines.push(`## ${group}`);
  lines.push("");
  lines.push("| case | load held | faults injected | bad inputs tried | lost |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const s of inGroup) {
    const lost = `${s.lost}${s.lostUnit ? ` (${esc(s.lostUnit)})` : ""}`;
    lines.push(
      `| ${esc(s.title)} | ${esc(s.load)} | ${esc(s.faults)} | ${esc(s.badInputs)} | ${s.lost === 0 ? lost : `**${lost}**`} |`,
    );
  }
  lines.push("");
  lines.push("<details><summary>Measurements</summary>");
  lines.push("");
  for (const s of inGroup) lines.push(`- **${esc(s.title)}**: \`${JSON.stringify(s.observed)}\``);
  lines.push("");
  lines.push("</details>");
  lines.push("");
}
if (sessionCases.length > 0) {
  for (const d of DIRECTIONS) {
    lines.push(`## Sessions: ${d}`);
    lines.push("");
    lines.push(
      "Every message carries its stream and index; lost counts what send() accepted and the peer's handler never got, in flight at a cut or a kill included.",
    );
    lines.push("");
    lines.push("| case | accepted | received | lost | duplicated | reordered |");
    lines.push("| --- | --- | --- | --- | --- | --- |");
    for (const s of [...sessionCases].sort((a, b) => a.id.localeCompare(b.id))) {
      const r = s.observed.directions[d];
      if (!r) continue;
      const bold = (n) => (n === 0 ? "0" : `**${n}**`);
      lines.push(
        `| ${esc(s.title)} | ${r.accepted} | ${r.received} | ${bold(r.lost)} | ${bold(r.duplicated)} | ${bold(r.reordered)} |`,
      );
    }
    lines.push("");
  }
}
lines.push("## Every test of the run");
lines.push("");
lines.push("| file | test | result | ms |");
lines.push("| --- | --- | --- | --- |");
for (const t of tests) lines.push(`| ${t.file} | ${esc(t.name)} | ${t.status} | ${t.ms} |`);
lines.push("");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${lines.join("\n")}\n`);
console.log(`wrote ${out} (${summaries.length} case summaries, ${tests.length} tests)`);
