// The examples, built and tested as an outside author would: their sources and
// tsconfigs, with @taurus/* from the tarballs (no workspace links, no workspace tsconfig).
import { cpSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail, readJson, run } from "./run.mjs";

/** Copies each example into `project/examples`, then builds, typechecks and tests it there. */
export function checkExamples(root, project) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  for (const name of readdirSync(join(root, "examples"))) {
    const from = join(root, "examples", name);
    if (!existsSync(join(from, "package.json"))) continue;
    const dir = join(project, "examples", name);
    for (const entry of readdirSync(from)) {
      if (["node_modules", "dist", ".turbo"].includes(entry)) continue;
      cpSync(join(from, entry), join(dir, entry), { recursive: true });
    }
    // What the author publishes: no workspace: ranges (the project above provides @taurus/*).
    const manifest = readJson(join(dir, "package.json"));
    for (const field of ["dependencies", "peerDependencies", "devDependencies"]) {
      delete manifest[field];
    }
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      run(process.execPath, [tsc, "-p", "tsconfig.build.json"], dir);
      run(process.execPath, [tsc, "-p", "tsconfig.json"], dir);
      const out = run(process.execPath, [vitest, "run"], dir, { CI: "1", NO_COLOR: "1" });
      const tests = /Tests\s+(\d+) passed/.exec(out);
      console.log(
        `pack-check: examples/${name} built, typechecked and tested from the tarballs (${tests?.[1] ?? "?"} tests)`,
      );
    } catch (err) {
      fail(`examples/${name} from the tarballs:\n${err.stdout ?? ""}${err.stderr ?? err.message}`);
    }
  }
}
