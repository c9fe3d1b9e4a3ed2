import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/main.ts"],
    format: ["esm"],
    sourcemap: true,
    clean: true,
    target: "node20",
  },
  {
    // The web chat page's script, bundled for the browser with its Taurus packages.
    entry: { chat: "web/chat.ts" },
    outDir: "dist/web",
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    noExternal: [/.*/],
    minify: true,
    sourcemap: true,
    clean: false,
    tsconfig: "web/tsconfig.json",
  },
]);
