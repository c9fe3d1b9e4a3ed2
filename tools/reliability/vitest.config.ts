import { defineConfig } from "vitest/config";

// The fast run: every case at a small scale, one file at a time (the cases count
// sockets, timers and heap, so they must not share the process with another file).
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    pool: "forks",
    execArgv: ["--expose-gc"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
