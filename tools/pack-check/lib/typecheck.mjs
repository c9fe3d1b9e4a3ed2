// The fixture project: typechecked against the installed tarballs with
// skipLibCheck: false, under every module resolution a user may have.
import { cpSync } from "node:fs";
import { join } from "node:path";
import { fail, run } from "./run.mjs";

export const RESOLUTIONS = ["node10", "node16", "nodenext", "bundler"];

/** Copies the fixture into `project` and typechecks it once per resolution. */
export function typecheckFixture(root, fixtureDir, project) {
  const dir = join(project, "fixture");
  cpSync(fixtureDir, dir, { recursive: true });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  for (const resolution of RESOLUTIONS) {
    try {
      run(process.execPath, [tsc, "-p", `tsconfig.${resolution}.json`], dir);
      console.log(
        `pack-check: the fixture typechecks under ${resolution} resolution (skipLibCheck: false)`,
      );
    } catch (err) {
      fail(
        `fixture under ${resolution} resolution:\n${err.stdout ?? ""}${err.stderr ?? err.message}`,
      );
    }
  }
}
