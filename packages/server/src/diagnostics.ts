import diagnostics from "node:diagnostics_channel";
import type { AddressInfo } from "node:net";
import type { Connection, TaurusError } from "@taurus/core-conn";
import type { TaurusServer } from "./server";
import type { ShutdownReport } from "./server-types";

/**
 * The names of the `node:diagnostics_channel` channels that `@taurus/server`
 * publishes on (see docs/DIAGNOSTICS.md). Nothing is built or published while
 * a channel has no subscriber. The connections themselves publish on the
 * `taurus:connection:*` channels of `@taurus/core-conn`.
 */
export const SERVER_CHANNELS = {
  /**
   * A tracing channel (`diagnostics_channel.tracingChannel`): its `start`,
   * `end`, `asyncStart`, `asyncEnd` and `error` channels are
   * `tracing:taurus:server:message:start` and so on. One trace per call of
   * `handler.onMessage`; context {@link ServerMessageContext}.
   */
  message: "taurus:server:message",
  /** The server is listening: {@link ServerListeningMessage}. */
  listening: "taurus:server:listening",
  /** A socket was refused (connection limit, per-address limit): {@link ServerRefusedMessage}. */
  refused: "taurus:server:refused",
  /** The server closed, every connection too: {@link ServerCloseMessage}. */
  close: "taurus:server:close",
} as const;

/** The context object of the `taurus:server:message` tracing channel. */
export interface ServerMessageContext {
  /** The connection the message arrived on. */
  connection: Connection<unknown>;
  /** The decoded message given to `onMessage`. */
  message: unknown;
  /**
   * Set to `true` before `end` is published when `onMessage` returned a
   * promise: `asyncStart` and `asyncEnd` follow once it settles. Absent for a
   * synchronous handler, whose trace ends with `end`.
   */
  async?: boolean;
  /** Set before `error` is published: what `onMessage` threw or rejected with. */
  error?: unknown;
  /** Set before `end` (sync) or `asyncStart` (async) is published: what `onMessage` returned. */
  result?: unknown;
}

/** Published on `taurus:server:listening`. */
export interface ServerListeningMessage {
  /** The server. */
  server: TaurusServer<unknown>;
  /** The bound address. */
  address: AddressInfo;
}

/** Published on `taurus:server:refused`. */
export interface ServerRefusedMessage {
  /** The server. */
  server: TaurusServer<unknown>;
  /** The refused peer's address, when known. */
  remoteAddress: string | undefined;
  /** The refused peer's port, when known. */
  remotePort: number | undefined;
  /** The `CONNECTION_LIMIT` error also reported to `onError`. */
  error: TaurusError;
}

/** Published on `taurus:server:close`. */
export interface ServerCloseMessage {
  /** The server. */
  server: TaurusServer<unknown>;
  /** What the shutdown did (as `close()` resolves with). */
  report: ShutdownReport;
}

const messageTrace = diagnostics.tracingChannel<unknown, ServerMessageContext>(
  SERVER_CHANNELS.message,
);
const listeningChannel = diagnostics.channel(SERVER_CHANNELS.listening);
const refusedChannel = diagnostics.channel(SERVER_CHANNELS.refused);
const closeChannel = diagnostics.channel(SERVER_CHANNELS.close);

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/** Whether `handler.onMessage` calls are to be traced. @internal */
export function tracingMessages(): boolean {
  return messageTrace.hasSubscribers;
}

/**
 * Calls `run` inside a `taurus:server:message` trace: start, then end (and
 * error when it throws); when it returns a promise, asyncStart and asyncEnd
 * once it settles (error first when it rejects). What `run` throws or
 * rejects with is passed on unchanged.
 *
 * @internal
 */
export function traceMessage(
  connection: Connection<unknown>,
  message: unknown,
  run: () => unknown,
): unknown {
  const context: ServerMessageContext = { connection, message };
  const { start, end, asyncStart, asyncEnd, error } = messageTrace;
  return start.runStores(context, () => {
    let result: unknown;
    try {
      result = run();
    } catch (err) {
      context.error = err;
      error.publish(context);
      end.publish(context);
      throw err;
    }
    if (!isPromiseLike(result)) {
      context.result = result;
      end.publish(context);
      return result;
    }
    context.async = true;
    end.publish(context);
    return Promise.resolve(result).then(
      (value) => {
        context.result = value;
        asyncStart.publish(context);
        asyncEnd.publish(context);
        return value;
      },
      (err: unknown) => {
        context.error = err;
        error.publish(context);
        asyncStart.publish(context);
        asyncEnd.publish(context);
        throw err;
      },
    );
  });
}

/** @internal */
export function publishListening(server: TaurusServer<unknown>, address: AddressInfo): void {
  if (!listeningChannel.hasSubscribers) return;
  const message: ServerListeningMessage = { server, address };
  listeningChannel.publish(message);
}

/** @internal */
export function publishRefused(
  server: TaurusServer<unknown>,
  socket: { remoteAddress?: string | undefined; remotePort?: number | undefined },
  error: TaurusError,
): void {
  if (!refusedChannel.hasSubscribers) return;
  const message: ServerRefusedMessage = {
    server,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    error,
  };
  refusedChannel.publish(message);
}

/** @internal */
export function publishServerClose(server: TaurusServer<unknown>, report: ShutdownReport): void {
  if (!closeChannel.hasSubscribers) return;
  const message: ServerCloseMessage = { server, report };
  closeChannel.publish(message);
}
