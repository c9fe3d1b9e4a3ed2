// Packaging check, run by `pnpm test`. From the tarballs `pnpm publish` would upload:
// 1. publint finds no packaging error, READMEs link absolutely, source maps carry
//    their sources, every package states its engines;
// 2. a client-only install gets ESM and CJS entry points and no server code;
// 3. a project with every package (and without the optional peers prom-client,
//    vitest and fast-check) typechecks a fixture with skipLibCheck: false under
//    node10, node16, nodenext and bundler resolution;
// 4. each example under examples/ builds, typechecks and passes its tests there, as
//    an outside author's package would.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkClientOnly } from "./lib/client-only.mjs";
import { checkExamples } from "./lib/examples.mjs";
import { fail, failures, linkTool, run } from "./lib/run.mjs";
import { checkTarball, packAll, publintAll } from "./lib/tarballs.mjs";
import { typecheckFixture } from "./lib/typecheck.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const scratch = mkdtempSync(join(tmpdir(), "taurus-pack-check-"));

try {
  const byName = packAll(root, join(root, "packages"), join(scratch, "tarballs"));
  await publintAll(root, byName);
  for (const [name, tarball] of Object.entries(byName)) checkTarball(name, tarball);

  checkClientOnly(scratch, byName);

  // Every package from the tarballs, as dependencies of one project.
  const project = join(scratch, "all");
  mkdirSync(project, { recursive: true });
  const files = Object.fromEntries(Object.entries(byName).map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "scratch-all", private: true, dependencies: files, overrides: files }),
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
    project,
  );
  if (existsSync(join(project, "node_modules", "prom-client"))) {
    fail("prom-client was installed: the fixture must prove the types load without it");
  }
  // The tools an author installs for themselves (kept to the workspace's versions, offline).
  // The fixture is typechecked before vitest and fast-check (optional peers of the testing
  // entry) are there: no declaration may need them.
  for (const tool of ["typescript", "@types/node"]) linkTool(root, project, tool);
  typecheckFixture(root, join(here, "fixture"), project);
  for (const tool of ["vitest", "fast-check"]) linkTool(root, project, tool);
  checkExamples(root, project);
} catch (err) {
  fail(`${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
} finally {
  // PACK_CHECK_KEEP=1 keeps the scratch projects, to look into a failure.
  if (process.env.PACK_CHECK_KEEP) console.log(`pack-check: kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
if (failures.length > 0) process.exitCode = 1;
else
  console.log(
    `pack-check: ${readdirSync(join(root, "packages")).length} packages packed and checked`,
  );
