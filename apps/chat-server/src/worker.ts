// A cluster worker: serves the room on the ports it shares with the other workers,
// reports its ports and answers the primary's metric requests over IPC. A worker that
// cannot start says why to the primary and exits non-zero (the primary restarts it with
// backoff, and gives up in a crash loop).
import type { Config } from "./config";
import type { InstanceSnapshot } from "./instance-metrics";
import { StartError, startInstance, stopInstance } from "./lifecycle";
import type { Logger } from "./logger";
import { stopSignal } from "./serve";

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
  /** The web page's port, with --web-port. */
  web?: number;
  instance: string;
}
/** A worker could not start; it exits next. */
export interface FailedNotice {
  t: "failed";
  error: string;
  /** The setting to change, when the failure names one. */
  flag?: string;
}

type ToPrimary = SnapshotReply | ListeningNotice | FailedNotice;

function send(m: ToPrimary, then?: () => void): void {
  if (process.connected && process.send) process.send(m, undefined, {}, () => then?.());
  else then?.();
}

export async function runWorker(config: Config, log: Logger): Promise<number> {
  let started: Awaited<ReturnType<typeof startInstance>>;
  try {
    started = await startInstance(config, log);
  } catch (err) {
    // startInstance closed what it had opened: tell the primary, let go of IPC, exit.
    const flag = err instanceof StartError ? err.flag : undefined;
    log.error("worker cannot start", { pid: process.pid, error: errorText(err), flag });
    await new Promise<void>((resolve) =>
      send({ t: "failed", error: errorText(err), flag }, resolve),
    );
    process.exit(1);
  }
  const { room, ports } = started;
  const onMessage = (m: unknown): void => {
    const request = m as Partial<SnapshotRequest>;
    if (request?.t !== "snapshot?" || typeof request.id !== "number") return;
    send({
      t: "snapshot",
      id: request.id,
      snapshot: {
        instance: room.adapter.instanceId,
        pid: process.pid,
        metrics: room.snapshot(),
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
  const summary = await stopInstance(room);
  log.info("worker stopped", { pid: process.pid, ...summary });
  // The IPC channel keeps a worker alive: let it go so the process exits.
  if (process.connected) process.disconnect();
  return 0;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
