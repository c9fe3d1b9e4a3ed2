// Picks the room's backplane: Redis when --redis is given, the primary's IPC in a cluster
// worker, in-process otherwise.
import cluster from "node:cluster";
import { createRedisAdapter, RedisAdapter } from "@taurus/adapter-redis";
import { type BroadcastAdapter, createLocalAdapter } from "@taurus/server";
import type { Config } from "./config";
import { IpcAdapter } from "./ipc-adapter";
import type { Logger } from "./logger";

/** Least ms between two "redis unreachable" warnings. */
const WARN_EVERY = 5000;

/** The room's adapter, not yet waited for (see {@link backplaneReady}). */
export function createBackplane(config: Config, log: Logger): BroadcastAdapter {
  if (config.redis) {
    let lastWarn = 0;
    const adapter = createRedisAdapter({
      url: config.redis,
      onError: (error) => {
        const now = Date.now();
        if (now - lastWarn < WARN_EVERY) return;
        lastWarn = now;
        log.warn("backplane error", { code: error.code, error: error.message });
      },
    });
    return adapter;
  }
  if (cluster.isWorker) return new IpcAdapter();
  return createLocalAdapter();
}

/**
 * Waits until Redis is reached and the room's channel subscribed (once the room has
 * joined), so that nothing published after "listening" is missed; past the timeout,
 * serves this instance anyway while the adapter keeps reconnecting.
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
  if (config.redis) return "redis";
  return cluster.isWorker ? "ipc" : "local";
}
