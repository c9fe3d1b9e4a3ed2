// One instance of the room: this process's servers on the shared ports, with its backplane.

import { backplaneReady, createBackplane } from "./backplane";
import type { Config } from "./config";
import { createDirectory } from "./directories";
import type { Logger } from "./logger";
import { ChatRoom } from "./room";

export async function startRoom(
  config: Config,
  log: Logger,
): Promise<{
  room: ChatRoom;
  ports: { json: number; binary: number };
}> {
  const adapter = createBackplane(config, log);
  const room = new ChatRoom(config, log, adapter, createDirectory(config, adapter, log));
  try {
    await backplaneReady(adapter, config, log);
    return { room, ports: await room.listen() };
  } catch (err) {
    await room.close();
    throw err;
  }
}

/** Resolves on the first SIGINT or SIGTERM (or `also`, when given). */
export function stopSignal(also?: (stop: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
    also?.(resolve);
  });
}
