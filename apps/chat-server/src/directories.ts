// Which name directory an instance asks: Redis with --redis, the primary with --workers,
// none for one process (its own Names are the whole room).
import cluster from "node:cluster";
import type { BroadcastAdapter } from "@taurus/server";
import type { Config } from "./config";
import type { NameDirectory } from "./directory";
import { IpcDirectory } from "./ipc-directory";
import type { Logger } from "./logger";
import { RedisDirectory } from "./redis-directory";

/** Least ms between two "name directory" warnings. */
const WARN_EVERY = 5000;

export function createDirectory(
  config: Config,
  adapter: BroadcastAdapter,
  log: Logger,
): NameDirectory | undefined {
  if (config.redis) {
    let lastWarn = 0;
    return new RedisDirectory(config.redis, adapter.instanceId, (err) => {
      if (Date.now() - lastWarn < WARN_EVERY) return;
      lastWarn = Date.now();
      log.warn("name directory unreachable: names are checked on this instance only", {
        error: String(err),
      });
    });
  }
  if (cluster.isWorker) return new IpcDirectory();
  return undefined;
}
