// The code in the README and in the JSDoc @example blocks type-checks against the sources:
// an example that a user copies must compile.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = join(root, "node_modules", `.doc-examples-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What a JSDoc example may use without importing it. */
const PRELUDE = [
  'import { createClient } from "@taurus/client";',
  'import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";',
  "void createClient;",
  "void createJsonProtocol;",
  "type _Unused = JsonMessage;",
].join("\n");

function readmeBlocks(): string[] {
  const text = readFileSync(join(root, "README.md"), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

function jsdocExamples(): Array<[string, string]> {
  const dir = join(root, "src");
  const found: Array<[string, string]> = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".ts") || file.endsWith(".test.ts")) continue;
    const source = readFileSync(join(dir, file), "utf8");
    for (const m of source.matchAll(/@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g)) {
      const code = (m[1] as string)
        .split("\n")
        .map((line) => line.replace(/^\s*\* ?/, ""))
        .join("\n");
      found.push([file, code]);
    }
  }
  return found;
}

function typecheck(files: Record<string, string>): string[] {
  mkdirSync(scratch, { recursive: true });
  const names = Object.entries(files).map(([name, code]) => {
    const path = join(scratch, name);
    writeFileSync(path, `${code}\nexport {};\n`);
    return path;
  });
  const program = ts.createProgram(names, {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    verbatimModuleSyntax: true,
    paths: {
      "@taurus/client": [join(root, "src/index.ts")],
      "@taurus/protocol-json": [join(root, "../protocol-json/src/index.ts")],
    },
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && names.includes(d.file.fileName))
    .map((d) => {
      const where = d.file?.getLineAndCharacterOfPosition(d.start ?? 0);
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      return `${d.file?.fileName.split("/").pop()}:${(where?.line ?? 0) + 1}: ${text}`;
    });
}

describe("documentation examples", () => {
  it("the README's and the JSDoc @example code type-check", () => {
    const readme = readmeBlocks();
    const jsdoc = jsdocExamples();
    expect(readme.length).toBeGreaterThan(0);
    expect(jsdoc.map(([file]) => file)).toContain("client.ts"); // createClient's example
    const files: Record<string, string> = {};
    readme.forEach((code, i) => {
      files[`readme-${i}.ts`] = code;
    });
    jsdoc.forEach(([file, code], i) => {
      files[`jsdoc-${i}-${file}`] = `${PRELUDE}\n${code}`;
    });
    expect(typecheck(files)).toEqual([]);
  }, 60_000);
});
