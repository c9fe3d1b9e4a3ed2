// A user who installs only @taurus/client and @taurus/protocol-json from the tarballs
// gets working ESM and CJS entry points, core-conn (their peer), and no server code.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail, run } from "./run.mjs";

export function checkClientOnly(scratch, byName) {
  const project = join(scratch, "client-only");
  mkdirSync(project, { recursive: true });
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

  const use = `
    const json = protocolJson.createJsonProtocol();
    const bytes = json.encode({ type: 2, sequence: 1, data: { from: "a", to: "", content: "hi" }, timestamp: 5n });
    const r = json.createDecoder({ maxMessageSize: 1024 }).decode(Buffer.from(bytes), 0, bytes.length);
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
}
