// Prints the functions with the most self time in a .cpuprofile (from node --cpu-prof):
//   node src/profile-top.mjs results/profiles/CPU....cpuprofile [count]
import { readFileSync } from "node:fs";

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number },
 *   hitCount?: number }} ProfileNode
 */

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node src/profile-top.mjs FILE.cpuprofile [count]\n");
  process.exit(2);
}
const count = Number(process.argv[3] ?? 25);
/** @type {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} */
const profile = JSON.parse(readFileSync(file, "utf8"));
/** @type {Map<number, number>} */
const selfTime = new Map();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
/** @type {Map<string, number>} */
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const t = selfTime.get(node.id) ?? 0;
  total += t;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*\/(packages|bench|node_modules)\//, "$1/")}:${lineNumber + 1}`
    : "";
  const key = `${functionName || "(anonymous)"} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
}
const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, count);
for (const [key, t] of rows) {
  process.stdout.write(
    `${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(6)} ms  ${key}\n`,
  );
}
