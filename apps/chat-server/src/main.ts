#!/usr/bin/env node
// chat-server: one chat room over the JSON (8080) and binary (8081) protocols, /metrics on 9090.
// --workers N forks N processes sharing the ports; --redis URL joins instances across machines.
import cluster from "node:cluster";
import { backplaneKind } from "./backplane";
import { ConfigError, parseConfig, usage } from "./config";
import { connectHint } from "./hint";
import { roomSource, startHttp } from "./http";
import { createLogger } from "./logger";
import { runPrimary } from "./primary";
import { startRoom, stopSignal } from "./serve";
import { runWorker } from "./worker";

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

  const { room, ports } = await startRoom(config, log);
  const http = await startHttp(roomSource(room), config.host, config.metricsPort);
  log.info("listening", {
    host: config.host,
    json: ports.json,
    binary: ports.binary,
    metrics: http.port,
    backplane: backplaneKind(config),
    instance: room.adapter.instanceId,
    hint: connectHint(config.host, { ...ports, metrics: http.port }),
  });

  await stopSignal();
  log.info("shutting down");
  const report = await room.close();
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeAllConnections();
  await httpClosed;
  log.info("stopped", report);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: String(err) })}\n`,
    );
    process.exitCode = 1;
  },
);
