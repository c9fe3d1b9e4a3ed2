// Picks the room's backplane: Redis when --redis is given, the primary's IPC in a cluster
// worker, in-process otherwise; and says in the log when it goes down, comes back, and what
// was lost or dropped (a summary line at most every few seconds, never one per message).
import cluster from "node:cluster";
import { createRedisAdapter, RedisAdapter } from "@taurus/adapter-redis";
import { type BroadcastAdapter, createLocalAdapter } from "@taurus/server";
import type { Config } from "./config";
import { IpcAdapter } from "./ipc-adapter";
import type { Logger } from "./logger";

/** Least ms between two "redis unreachable" warnings. */
const WARN_EVERY = 5000;
/** Ms between two checks for new losses (logged only when there are some). */
const SUMMARY_EVERY = 5000;

/** The room's adapter, not yet waited for (see {@link backplaneReady}). */
export function createBackplane(config: Config, log: Logger): BroadcastAdapter {
  if (config.redis) {
    let lastWarn = 0;
    const adapter = createRedisAdapter({
      url: config.redis,
      mode: config.redisMode,
      maxLen: config.redisMaxLen,
      onError: (error) => {
        const now = Date.now();
        if (now - lastWarn < WARN_EVERY) return;
        lastWarn = now;
        log.warn("backplane error", { code: error.code, error: error.message });
      },
    });
    adapter.on("down", (e) => log.warn("backplane down", { ...e, mode: config.redisMode }));
    adapter.on("up", (e) =>
      log.info("backplane back", {
        downtimeMs: e.downtime,
        droppedWhileDown: e.dropped,
        queuedToSend: e.queued,
      }),
    );
    watchLosses(adapter, log);
    return adapter;
  }
  if (cluster.isWorker) {
    const adapter = new IpcAdapter({
      maxMessages: config.relayMaxMessages,
      maxBytes: config.relayMaxBytes,
    });
    watchLosses(adapter, log);
    return adapter;
  }
  return createLocalAdapter();
}

/**
 * Logs what the backplane lost (messages of other instances that never arrived) and dropped
 * (messages of this one it could not publish) since the last line, when there is anything.
 */
function watchLosses(adapter: BroadcastAdapter, log: Logger): void {
  let lost = 0;
  let dropped = 0;
  const timer = setInterval(() => {
    const stats = adapter.stats();
    const newLost = (stats.lost ?? 0) - lost;
    const newDropped = stats.dropped - dropped;
    if (newLost === 0 && newDropped === 0) return;
    lost += newLost;
    dropped += newDropped;
    log.warn("backplane losses", {
      lost: newLost,
      dropped: newDropped,
      lostTotal: lost,
      droppedTotal: dropped,
      seconds: SUMMARY_EVERY / 1000,
    });
  }, SUMMARY_EVERY);
  timer.unref();
}

/**
 * Waits until Redis is reached and the room's channel subscribed (once the room has
 * joined), so that nothing published after "listening" is missed; past the timeout,
 * serves this instance anyway while the adapter keeps reconnecting (not ready meanwhile).
 */
export async function backplaneReady(
  adapter: BroadcastAdapter,
  config: Config,
  log: Logger,
): Promise<void> {
  if (!(adapter instanceof RedisAdapter)) return;
  try {
    await adapter.ready();
  } catch (err) {
    log.warn("redis not reachable yet: serving this instance, reconnecting", {
      redis: config.redis,
      error: String(err),
    });
  }
}

export function backplaneKind(config: Config): string {
  if (config.redis) return `redis ${config.redisMode}`;
  return cluster.isWorker ? "ipc" : "local";
}
