import { defineConfig } from "vitest/config";

// The stress run: the same cases at full scale (TAURUS_STRESS=1). Each case writes a
// JSON summary to results/stress/; scripts/write-report.mjs turns them, with this
// run's pass/fail results, into docs/RELIABILITY.md (the test:stress script runs both).
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    pool: "forks",
    execArgv: ["--expose-gc"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 60_000,
    env: { TAURUS_STRESS: "1" },
    reporters: ["default", ["json", { outputFile: "results/stress/vitest.json" }]],
  },
});
