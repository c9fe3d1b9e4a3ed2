// A cluster worker: serves the room on the ports it shares with the other workers,
// reports its ports and answers the primary's metric requests over IPC.
import type { Config } from "./config";
import type { InstanceSnapshot } from "./instance-metrics";
import type { Logger } from "./logger";
import { startRoom, stopSignal } from "./serve";

/** The primary asks for a snapshot. */
export interface SnapshotRequest {
  t: "snapshot?";
  id: number;
}
/** A worker's answer. */
export interface SnapshotReply {
  t: "snapshot";
  id: number;
  snapshot: InstanceSnapshot;
}
/** A worker is listening. */
export interface ListeningNotice {
  t: "listening";
  json: number;
  binary: number;
  instance: string;
}

export async function runWorker(config: Config, log: Logger): Promise<number> {
  const { room, ports } = await startRoom(config, log);
  const send = (m: SnapshotReply | ListeningNotice): void => {
    if (process.connected) process.send?.(m);
  };
  const onMessage = (m: unknown): void => {
    const request = m as Partial<SnapshotRequest>;
    if (request?.t !== "snapshot?" || typeof request.id !== "number") return;
    send({
      t: "snapshot",
      id: request.id,
      snapshot: {
        instance: room.adapter.instanceId,
        metrics: room.metrics.snapshot(),
        backplane: room.adapter.stats(),
      },
    });
  };
  process.on("message", onMessage);
  send({ t: "listening", ...ports, instance: room.adapter.instanceId });
  log.debug("worker listening", { pid: process.pid, instance: room.adapter.instanceId, ...ports });
  // The primary going away (IPC closed) stops the worker too.
  await stopSignal((stop) => process.once("disconnect", stop));
  process.off("message", onMessage);
  const report = await room.close();
  log.debug("worker stopped", { pid: process.pid, ...report });
  // The IPC channel keeps a worker alive: let it go so the process exits.
  if (process.connected) process.disconnect();
  return 0;
}
