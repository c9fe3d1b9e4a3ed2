#!/usr/bin/env node
// chat-server: one chat room over the JSON (8080) and binary (8081) protocols, /metrics on 9090.
import { ConfigError, parseConfig, usage } from "./config";
import { startHttp } from "./http";
import { createLogger } from "./logger";
import { ChatRoom } from "./room";

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
  const log = createLogger(config.logLevel);
  const room = new ChatRoom(config, log);
  const ports = await room.listen();
  const http = await startHttp(room, config.host, config.metricsPort);
  log.info("listening", {
    host: config.host,
    json: ports.json,
    binary: ports.binary,
    metrics: http.port,
  });

  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
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
