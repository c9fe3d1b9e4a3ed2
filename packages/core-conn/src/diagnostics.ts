import diagnostics from "node:diagnostics_channel";
import type { Connection } from "./connection";
import type { ErrorCode, TaurusError } from "./errors";
import type { DropReason } from "./protocol";

/**
 * The names of the `node:diagnostics_channel` channels that `@taurus/core-conn`
 * publishes on (see docs/DIAGNOSTICS.md). Nothing is built or published while
 * a channel has no subscriber.
 */
export const CONNECTION_CHANNELS = {
  /** A {@link Connection} was created over a socket: {@link ConnectionOpenMessage}. */
  open: "taurus:connection:open",
  /** A {@link Connection} closed, once: {@link ConnectionCloseMessage}. */
  close: "taurus:connection:close",
  /** Inbound bytes were dropped (the connection stays open): {@link FrameDroppedMessage}. */
  frameDropped: "taurus:connection:frame-dropped",
} as const;

/** Published on `taurus:connection:open` when a {@link Connection} is created. */
export interface ConnectionOpenMessage {
  /** The new connection (its `id`, `protocol`, addresses). */
  connection: Connection<unknown>;
}

/** Published on `taurus:connection:close` when a {@link Connection} is closed. */
export interface ConnectionCloseMessage {
  /** The closed connection; its `stats` are final. */
  connection: Connection<unknown>;
  /** What closed it, if anything did (`undefined` for a clean close). */
  error: TaurusError | undefined;
  /** The error's code, or `"NORMAL"` for a clean close. */
  reason: ErrorCode | "NORMAL";
}

/** Published on `taurus:connection:frame-dropped` when inbound bytes are dropped. */
export interface FrameDroppedMessage {
  /** The connection the bytes arrived on. */
  connection: Connection<unknown>;
  /** Why the protocol dropped them. */
  reason: DropReason;
  /** The error code the reason maps to (as the `drop` event's error has it). */
  code: ErrorCode;
  /** How many bytes were dropped. */
  bytes: number;
}

const openChannel = diagnostics.channel(CONNECTION_CHANNELS.open);
const closeChannel = diagnostics.channel(CONNECTION_CHANNELS.close);
const dropChannel = diagnostics.channel(CONNECTION_CHANNELS.frameDropped);

/** @internal */
export function publishOpen(connection: Connection<unknown>): void {
  if (openChannel.hasSubscribers) openChannel.publish({ connection } as ConnectionOpenMessage);
}

/** @internal */
export function publishClose(
  connection: Connection<unknown>,
  error: TaurusError | undefined,
): void {
  if (!closeChannel.hasSubscribers) return;
  const message: ConnectionCloseMessage = { connection, error, reason: error?.code ?? "NORMAL" };
  closeChannel.publish(message);
}

/** @internal */
export function publishDrop(
  connection: Connection<unknown>,
  reason: DropReason,
  code: ErrorCode,
  bytes: number,
): void {
  if (!dropChannel.hasSubscribers) return;
  const message: FrameDroppedMessage = { connection, reason, code, bytes };
  dropChannel.publish(message);
}
