// --protocol: json, binary, or an installed package (or a file) exporting a Protocol factory.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Protocol } from "@taurus/core-conn";
import { Failure, UsageError } from "./errors";
import { binaryKit, genericKit, jsonKit, type Kit } from "./kits";

/**
 * The kit of `--protocol NAME`: `json`, `binary`, or a package installed where the
 * command runs (`@acme/taurus-protocol-x`), or a file (`./proto.js`). A package is
 * asked for its only `create...Protocol` export (or its default export), called with no
 * arguments; `NAME#createX` picks the export.
 */
export async function loadKit(name: string, cwd = process.cwd()): Promise<Kit> {
  if (name === "json") return jsonKit() as Kit;
  if (name === "binary") return binaryKit() as Kit;
  const [spec = "", exportName] = name.split("#");
  const file = resolveModule(spec, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Failure(`cannot load protocol ${spec} from ${file}: ${(err as Error).message}`);
  }
  const factories = exportName
    ? [exportName]
    : Object.keys(mod).filter((k) => /^create\w*Protocol$/.test(k) && typeof mod[k] === "function");
  if (factories.length === 0 && typeof mod.default === "function") factories.push("default");
  if (factories.length !== 1) {
    throw new UsageError(
      factories.length === 0
        ? `${spec} exports no create...Protocol function`
        : `${spec} exports ${factories.join(", ")}: pick one with --protocol ${spec}#NAME`,
    );
  }
  const factory = mod[factories[0] as string];
  if (typeof factory !== "function") throw new UsageError(`${spec} has no export ${factories[0]}`);
  const protocol = (factory as () => unknown)();
  if (!isProtocol(protocol)) {
    throw new UsageError(`${spec}: ${factories[0]}() did not return a Protocol (encode, decode)`);
  }
  return genericKit(spec, protocol);
}

function isProtocol(p: unknown): p is Protocol<unknown> {
  const q = p as Partial<Protocol<unknown>> | null;
  return typeof q?.encode === "function" && typeof q.decode === "function";
}

/** The entry file of package `spec` installed at or above `cwd`, or the file `spec`. */
export function resolveModule(spec: string, cwd: string): string {
  if (spec.startsWith(".") || isAbsolute(spec)) {
    const file = resolve(cwd, spec);
    if (!existsSync(file)) throw new UsageError(`no such protocol file: ${file}`);
    return file;
  }
  const parts = spec.split("/");
  const pkgName = spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? "");
  const subpath = parts.slice(spec.startsWith("@") ? 2 : 1).join("/");
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const root = join(dir, "node_modules", pkgName);
    if (existsSync(join(root, "package.json"))) return entryOf(root, subpath);
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(
    `unknown protocol ${spec}: use json, binary, or install a protocol package here (npm install ${pkgName})`,
  );
}

type Exports = string | { [key: string]: Exports } | null;

function entryOf(root: string, subpath: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports?: Exports;
    module?: string;
    main?: string;
  };
  const key = subpath ? `./${subpath}` : ".";
  let target: string | undefined;
  if (pkg.exports !== undefined) {
    const exp = pkg.exports;
    const entry =
      typeof exp === "string" || (exp && !Object.keys(exp).some((k) => k.startsWith(".")))
        ? key === "."
          ? exp
          : undefined
        : (exp as Record<string, Exports>)?.[key];
    target = pick(entry ?? null);
    if (!target) throw new UsageError(`${root}: package exports nothing at ${key}`);
  } else {
    target = subpath || pkg.module || pkg.main || "index.js";
  }
  return join(root, target);
}

/** The import target of an exports entry: `import`, then `node`, then `default`. */
function pick(entry: Exports): string | undefined {
  if (typeof entry === "string") return entry;
  if (!entry) return undefined;
  for (const cond of ["import", "node", "default"]) {
    const found = entry[cond] !== undefined ? pick(entry[cond] as Exports) : undefined;
    if (found) return found;
  }
  return undefined;
}
