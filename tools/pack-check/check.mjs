// Packaging check, run by `pnpm test`: proves that a user who installs only
// @taurus/client and @taurus/protocol-json from the published tarballs gets
// working ESM and CJS entry points and no server code, and that publint finds
// no packaging error in any package.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const packagesDir = join(root, "packages");
const packages = readdirSync(packagesDir).filter((d) =>
  existsSync(join(packagesDir, d, "package.json")),
);
const scratch = mkdtempSync(join(tmpdir(), "taurus-pack-check-"));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
const fail = (msg) => {
  console.error(`pack-check: FAIL: ${msg}`);
  process.exitCode = 1;
};

try {
  // 1. publint every package (it packs the package itself, as npm would).
  for (const dir of packages) {
    const out = run("pnpm", ["exec", "publint", "run", "--strict", join(packagesDir, dir)], root);
    if (!/All good/i.test(out)) fail(`publint on packages/${dir}:\n${out}`);
  }

  // 2. pack every package into tarballs, as `pnpm publish` would (workspace: ranges rewritten).
  const tarballs = join(scratch, "tarballs");
  const byName = {};
  for (const dir of packages) {
    const out = run("pnpm", ["pack", "--pack-destination", tarballs], join(packagesDir, dir));
    const file = out.trim().split("\n").pop();
    byName[`@taurus/${dir}`] = resolve(join(packagesDir, dir), file);
  }

  // 3. a scratch project outside the workspace that asks for the client and one protocol only.
  const project = join(scratch, "project");
  execFileSync("mkdir", ["-p", project]);
  const overrides = Object.fromEntries(Object.entries(byName).map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "scratch",
      private: true,
      dependencies: {
        "@taurus/client": `file:${byName["@taurus/client"]}`,
        "@taurus/protocol-json": `file:${byName["@taurus/protocol-json"]}`,
      },
      overrides,
    }),
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
    project,
  );

  const installed = readdirSync(join(project, "node_modules", "@taurus")).sort();
  console.log(`pack-check: installed ${installed.map((n) => `@taurus/${n}`).join(", ")}`);
  if (installed.includes("server")) fail("installing @taurus/client pulled in @taurus/server");
  for (const want of ["client", "protocol-json", "core-conn"]) {
    if (!installed.includes(want)) fail(`@taurus/${want} is missing from the scratch install`);
  }

  // 4. load both from ESM and from CJS, and use them.
  const use = `
    const json = protocolJson.createJsonProtocol();
    const bytes = json.encode({ type: 2, sequence: 1, data: { from: "a", to: "", content: "hi" }, timestamp: 5n });
    const r = json.decode(Buffer.from(bytes), 0, bytes.length);
    if (r.kind !== "message" || r.message.data.content !== "hi") throw new Error("round trip failed");
    if (typeof client.createClient !== "function") throw new Error("createClient missing");
    console.log("ok");`;
  writeFileSync(
    join(project, "esm.mjs"),
    `import * as client from "@taurus/client";\nimport * as protocolJson from "@taurus/protocol-json";\n${use}`,
  );
  writeFileSync(
    join(project, "cjs.cjs"),
    `const client = require("@taurus/client");\nconst protocolJson = require("@taurus/protocol-json");\n${use}`,
  );
  for (const file of ["esm.mjs", "cjs.cjs"]) {
    const out = run("node", [file], project).trim();
    if (out !== "ok") fail(`${file} printed ${JSON.stringify(out)}`);
    else console.log(`pack-check: ${file} loads @taurus/client and @taurus/protocol-json`);
  }
} catch (err) {
  fail(`${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (!process.exitCode) console.log(`pack-check: ${packages.length} packages packed, publint clean`);
