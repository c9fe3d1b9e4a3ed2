// Packs every package as `pnpm publish` would, and checks what the tarballs hold:
// publint clean, README links absolute, source maps with their sources inline,
// and an engines field.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fail, run } from "./run.mjs";

/** Packs each package of `packagesDir` into `dest`; returns `{ "@taurus/x": tarball }`. */
export function packAll(root, packagesDir, dest) {
  mkdirSync(dest, { recursive: true });
  const byName = {};
  for (const dir of readdirSync(packagesDir)) {
    const pkg = join(packagesDir, dir);
    if (!existsSync(join(pkg, "package.json"))) continue;
    const out = run("pnpm", ["exec", "publint", "run", "--strict", pkg], root);
    if (!/All good/i.test(out)) fail(`publint on packages/${dir}:\n${out}`);
    const file = run("pnpm", ["pack", "--pack-destination", dest], pkg).trim().split("\n").pop();
    byName[`@taurus/${dir}`] = resolve(pkg, file);
  }
  return byName;
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
