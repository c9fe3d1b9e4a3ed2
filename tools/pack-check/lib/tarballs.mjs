// Packs every package as `pnpm publish` would, and checks what the tarballs hold:
// publint clean, README links absolute, source maps with their sources inline,
// and an engines field.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fail, run } from "./run.mjs";

/**
 * Packs each package of `packagesDir` into `dest` (one `pnpm pack -r`, which rewrites
 * `workspace:` ranges as publishing does); returns `{ "@taurus/x": tarball }`.
 */
export function packAll(root, packagesDir, dest) {
  const expected = readdirSync(packagesDir).filter((dir) =>
    existsSync(join(packagesDir, dir, "package.json")),
  );
  const out = run(
    "pnpm",
    [
      "-r",
      "--filter",
      `./${relative(root, packagesDir)}/*`,
      "pack",
      "--pack-destination",
      dest,
      "--json",
    ],
    root,
  );
  const packed = JSON.parse(out);
  const byName = Object.fromEntries(packed.map((p) => [p.name, p.filename]));
  for (const dir of expected) {
    if (!byName[`@taurus/${dir}`]) fail(`packages/${dir} was not packed as @taurus/${dir}`);
  }
  return byName;
}

/**
 * publint (strict) on each tarball, in this process: it lints the files as packed,
 * where its CLI would pack each package again.
 */
export async function publintAll(root, byName) {
  const require = createRequire(join(root, "package.json"));
  const { publint } = await import(require.resolve("publint"));
  const { formatMessage } = await import(require.resolve("publint/utils"));
  for (const [name, tarball] of Object.entries(byName)) {
    const bytes = readFileSync(tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) },
      strict: true,
    });
    for (const message of messages) {
      fail(`publint on ${name}: ${message.type}: ${formatMessage(message, pkg) ?? message.code}`);
    }
  }
}

const LINK = /\]\(([^)\s]+)[^)]*\)/g;

/** Checks the files inside one tarball. */
export function checkTarball(name, tarball) {
  const files = run("tar", ["-tzf", tarball], ".").trim().split("\n");
  const read = (file) => run("tar", ["-xzOf", tarball, file], ".");
  const manifest = JSON.parse(read("package/package.json"));
  if (typeof manifest.engines?.node !== "string") fail(`${name}: package.json has no engines.node`);
  if (files.includes("package/README.md")) {
    for (const [, target] of read("package/README.md").matchAll(LINK)) {
      if (!/^(https?:|mailto:|#)/.test(target)) {
        fail(
          `${name}: README link "${target}" is relative: it is dead inside the tarball and on npm`,
        );
      }
    }
  } else {
    fail(`${name}: the tarball has no README.md`);
  }
  for (const map of files.filter((f) => f.endsWith(".map"))) {
    const { sources = [], sourcesContent = [] } = JSON.parse(read(map));
    const missing = sources.filter((_, i) => typeof sourcesContent[i] !== "string");
    if (missing.length > 0) {
      fail(`${name}: ${map} points at ${missing.join(", ")} without their content inline`);
    }
  }
}
