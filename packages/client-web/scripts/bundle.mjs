// Bundles @taurus/client-web with both protocols for a browser (esbuild, platform browser,
// minified), and measures it: bytes, gzipped bytes, and any Node built-in it would import.
import { builtinModules } from "node:module";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const NODE = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * @param {string} entryContents - the entry module's source
 * @param {string} resolveDir - where its imports resolve from
 * @returns {Promise<{ code: string; bytes: number; gzipped: number; nodeImports: string[] }>}
 */
export async function bundleForBrowser(entryContents, resolveDir) {
  const nodeImports = [];
  const result = await build({
    stdin: { contents: entryContents, resolveDir, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "no-node",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (NODE.has(args.path)) {
              nodeImports.push(args.path);
              return { path: args.path, external: true };
            }
            return undefined;
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0].text;
  return { code, bytes: code.length, gzipped: gzipSync(code).length, nodeImports };
}

export const ENTRY = `
export { createWebClient } from "./dist/index.js";
export { createJsonProtocol } from "@taurus/protocol-json";
export { createBinaryProtocol } from "@taurus/protocol-binary";
`;
