// The vitest setup every package and app shares: V8 coverage measured by the test task
// itself (the default `pnpm test` fails when a package falls below its thresholds), with a
// summary kept in coverage/ that `pnpm coverage` prints as one table.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

type Thresholds = { statements: number; branches: number; functions: number; lines: number };

const thresholds = JSON.parse(
  readFileSync(fileURLToPath(new URL("./coverage-thresholds.json", import.meta.url)), "utf8"),
) as Record<string, Thresholds>;

/** The config of the package whose vitest.config.ts passes its `import.meta.url`. */
export function taurusVitest(
  configUrl: string,
  extra: ViteUserConfig["test"] = {},
): ViteUserConfig {
  const { name } = JSON.parse(readFileSync(new URL("./package.json", configUrl), "utf8")) as {
    name: string;
  };
  return defineConfig({
    test: {
      ...extra,
      coverage: {
        enabled: true,
        provider: "v8",
        include: ["src/**/*.ts"],
        exclude: ["src/**/*.test.ts", "src/**/*.bench.ts", "src/**/test-*.ts"],
        reporter: [["json-summary"]],
        reportsDirectory: "coverage",
        thresholds: thresholds[name] ?? { statements: 0, branches: 0, functions: 0, lines: 0 },
      },
    },
  });
}
