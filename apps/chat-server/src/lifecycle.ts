// Starting and stopping one instance of the room, with failures that say what to change.
import type { ShutdownReport } from "@taurus/server";
import { SYSTEM, toBinary, toJson } from "./chat";
import type { Config } from "./config";
import type { Logger } from "./logger";
import type { ChatRoom } from "./room";
import { startRoom } from "./serve";

/** A start that failed for a reason the operator can fix: `flag` names the setting to change. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly flag: string,
  ) {
    super(message);
  }
}

interface SystemError {
  code?: string;
  port?: number;
  address?: string;
}

/**
 * Why binding `what` failed, naming the flag to change: the port flag for a port in use
 * or not allowed, the host flag for an address this machine does not have.
 */
export function bindError(
  err: unknown,
  what: string,
  portFlag: string,
  hostFlag: string,
): StartError {
  const cause = ((err as { cause?: unknown })?.cause ?? err) as SystemError;
  const where = `${cause.address ?? "?"}:${cause.port ?? "?"}`;
  switch (cause.code) {
    case "EADDRINUSE":
      return new StartError(
        `${what} port ${where} is already in use: change ${portFlag}`,
        portFlag,
      );
    case "EACCES":
      return new StartError(`${what} port ${where} is not allowed: change ${portFlag}`, portFlag);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartError(
        `${what} address ${where} is not available here: change ${hostFlag}`,
        hostFlag,
      );
    default:
      return new StartError(`${what} could not listen on ${where}: ${String(err)}`, portFlag);
  }
}

/** Starts the room on its ports; a port that cannot be bound fails with a {@link StartError}. */
export async function startInstance(
  config: Config,
  log: Logger,
): Promise<{ room: ChatRoom; ports: { json: number; binary: number; web?: number } }> {
  try {
    return await startRoom(config, log);
  } catch (err) {
    const cause = ((err as { cause?: unknown })?.cause ?? {}) as SystemError;
    if (cause.port === undefined) throw err;
    const binary = cause.port === config.binaryPort && cause.port !== config.jsonPort;
    throw binary
      ? bindError(err, "binary protocol", "--binary-port", "--host")
      : bindError(err, "JSON protocol", "--json-port", "--host");
  }
}

/** What a shutdown did, for the "stopped" log line. */
export interface StopSummary {
  closed: number;
  /** Connections reset at --shutdown-timeout. */
  forced: number;
  /** Messages and bytes the forced ones never got. */
  discardedMessages: number;
  discardedBytes: number;
  /** The first few forced connections, with what each lost. */
  discarded: ShutdownReport["discarded"];
}

/** Most forced connections listed one by one in the log. */
const LISTED = 100;

/**
 * Stops the room gracefully: tells every client here that the server is going away (a
 * system message ahead of the close), lets their queues drain for up to
 * --shutdown-timeout, then resets whoever is left (a reset, not a clean end, so that a
 * client knows it was cut off) and reports what each of them lost.
 *
 * Sessions (issue 13) live in this process's memory: they end with it, and each client
 * learns on its next connection that its session was lost (what it sent since is kept).
 * Resuming on another instance would need a shared session store (Redis).
 */
export async function stopInstance(room: ChatRoom): Promise<StopSummary> {
  const notice = {
    type: SYSTEM,
    sequence: 1,
    from: "server",
    to: "",
    content: "server shutting down: reconnect to carry on",
  };
  try {
    room.json.broadcast(toJson(notice), { local: true });
    room.binary.broadcast(toBinary(notice), { local: true });
  } catch {
    // Whatever happens to the notice, the room closes.
  }
  const reports: ShutdownReport[] = [];
  room.json.once("close", (r) => reports.push(r));
  room.binary.once("close", (r) => reports.push(r));
  const { closed, forced } = await room.close();
  const discarded = reports.flatMap((r) => r.discarded);
  return {
    closed,
    forced,
    discardedMessages: discarded.reduce((n, d) => n + d.messages, 0),
    discardedBytes: discarded.reduce((n, d) => n + d.bytes, 0),
    discarded: discarded.slice(0, LISTED),
  };
}
