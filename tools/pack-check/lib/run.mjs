// Small process and file helpers of the packaging check.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";

/** Runs a command; returns its stdout, or throws with its output. */
export function run(cmd, args, cwd, env = {}) {
  return execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Failures so far; the check exits non-zero when there is any. */
export const failures = [];

/** Records a failure (the check goes on, to report everything at once). */
export function fail(message) {
  failures.push(message);
  console.error(`pack-check: FAIL: ${message}`);
}

/** Reads and parses a JSON file. */
export function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/**
 * Links a package the workspace already has (a tool an author installs, such as
 * typescript or vitest) into `project`'s node_modules, without a registry.
 */
export function linkTool(root, project, name) {
  const from = realpathSync(join(root, "node_modules", name));
  const to = join(project, "node_modules", name);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(from, to, "dir");
}
