import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", adapter: "src/adapter-kit.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
