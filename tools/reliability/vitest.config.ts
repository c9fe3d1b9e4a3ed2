import { defineConfig } from "vitest/config";

// The fast run: every case at a small scale. The cases count sockets, timers and heap,
// so each file runs in a process of its own (forks); two files at a time, since most
// of a case is waiting (for restarts, timeouts, Redis): 164 s -> 94 s alone here.
// The stress run (vitest.stress.config.ts) keeps one file at a time.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    pool: "forks",
    execArgv: ["--expose-gc"],
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
