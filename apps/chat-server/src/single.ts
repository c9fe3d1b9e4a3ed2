// No --workers: this process serves the room itself, and /metrics and the health endpoints.
import { backplaneKind } from "./backplane";
import type { Config } from "./config";
import { connectHint } from "./hint";
import { type HttpServer, roomSource, startHttp, stopHttp } from "./http";
import { bindError, StartError, startInstance, stopInstance } from "./lifecycle";
import type { Logger } from "./logger";
import { stopSignal } from "./serve";

export async function runSingle(config: Config, log: Logger): Promise<number> {
  let started: Awaited<ReturnType<typeof startInstance>>;
  try {
    started = await startInstance(config, log);
  } catch (err) {
    if (!(err instanceof StartError)) throw err;
    log.error("cannot start", { error: err.message, flag: err.flag });
    return 1;
  }
  const { room, ports } = started;
  let stopping = false;
  let http: HttpServer;
  try {
    http = await startHttp(
      roomSource(room, () => stopping),
      config.metricsHost,
      config.metricsPort,
      log,
    );
  } catch (err) {
    const failure = bindError(err, "metrics", "--metrics-port", "--metrics-host");
    log.error("cannot start", { error: failure.message, flag: failure.flag });
    await room.close();
    return 1;
  }
  log.info("listening", {
    host: config.host,
    json: ports.json,
    binary: ports.binary,
    web: ports.web,
    metrics: http.port,
    backplane: backplaneKind(config),
    instance: room.adapter.instanceId,
    hint: connectHint(config.host, { ...ports, metrics: http.port }),
  });

  await stopSignal();
  stopping = true;
  log.info("shutting down", { timeoutMs: config.shutdownTimeout });
  const summary = await stopInstance(room);
  await stopHttp(http);
  log.info("stopped", { ...summary });
  return 0;
}
