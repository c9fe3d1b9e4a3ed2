#!/usr/bin/env node
// chat-server: one chat room over the JSON (8080) and binary (8081) protocols, /metrics and
// health on 127.0.0.1:9090. --workers N forks N processes sharing the ports; --redis URL joins
// instances across machines. Exits non-zero when it cannot start (naming the flag to change)
// or when its workers crash in a loop.
import cluster from "node:cluster";
import { ConfigError, parseConfig, usage } from "./config";
import { createLogger } from "./logger";
import { runPrimary } from "./primary";
import { runSingle } from "./single";
import { runWorker } from "./worker";

/** Ms the process may take to exit by itself once done, before it is made to. */
const EXIT_GRACE = 2000;

async function main(): Promise<number> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`chat-server: ${err.message}\n\n${usage()}`);
    return 2;
  }
  if (config === "help") {
    process.stdout.write(usage());
    return 0;
  }
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  if (cluster.isWorker) return runWorker(config, log);
  if (config.workers > 0) return runPrimary(config, log);
  return runSingle(config, log);
}

function exit(code: number): void {
  process.exitCode = code;
  // Everything is closed by now; should a handle still hold the process, it goes anyway.
  setTimeout(() => process.exit(code), EXIT_GRACE).unref();
}

main().then(exit, (err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: String(err) })}\n`,
  );
  exit(1);
});
