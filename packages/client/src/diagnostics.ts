import diagnostics from "node:diagnostics_channel";
import type { Connection, TaurusError } from "@taurus/core-conn";
import type { TaurusClient } from "./client";

/**
 * The names of the `node:diagnostics_channel` channels that `@taurus/client`
 * publishes on (see docs/DIAGNOSTICS.md). Nothing is built or published while
 * a channel has no subscriber. The connections themselves publish on the
 * `taurus:connection:*` channels of `@taurus/core-conn`.
 */
export const CLIENT_CHANNELS = {
  /**
   * A tracing channel (`diagnostics_channel.tracingChannel`): its `start`,
   * `end`, `asyncStart`, `asyncEnd` and `error` channels are
   * `tracing:taurus:client:request:start` and so on. One trace per
   * `client.request()`; context {@link ClientRequestContext}.
   */
  request: "taurus:client:request",
  /** A connection was established (the first or a reconnection): {@link ClientConnectMessage}. */
  connect: "taurus:client:connect",
  /** A (re)connection attempt was scheduled: {@link ClientReconnectMessage}. */
  reconnect: "taurus:client:reconnect",
} as const;

/** The context object of the `taurus:client:request` tracing channel. */
export interface ClientRequestContext {
  /** The client. */
  client: TaurusClient<unknown>;
  /** The request as given to `request()` (before its sequence number is set). */
  message: unknown;
  /** Set before `error` is published: the `TaurusError` the request rejected with. */
  error?: unknown;
  /** Set before `asyncStart` is published: the reply. */
  result?: unknown;
}

/** Published on `taurus:client:connect`. */
export interface ClientConnectMessage {
  /** The client. */
  client: TaurusClient<unknown>;
  /** The new connection. */
  connection: Connection<unknown>;
  /** `true` when this is a reconnection. */
  reconnect: boolean;
}

/** Published on `taurus:client:reconnect` (as the `reconnecting` event). */
export interface ClientReconnectMessage {
  /** The client. */
  client: TaurusClient<unknown>;
  /** The retry number, from 1. */
  attempt: number;
  /** Milliseconds until the attempt starts. */
  delay: number;
  /** Why: the failed attempt's error or the dropped connection's. */
  error: TaurusError;
}

const requestTrace = diagnostics.tracingChannel<unknown, ClientRequestContext>(
  CLIENT_CHANNELS.request,
);
const connectChannel = diagnostics.channel(CLIENT_CHANNELS.connect);
const reconnectChannel = diagnostics.channel(CLIENT_CHANNELS.reconnect);

/**
 * Runs `request` inside a `taurus:client:request` trace when anyone listens
 * (start and end around the call, error, asyncStart and asyncEnd once the
 * reply or the rejection comes), or just runs it.
 *
 * @internal
 */
export function traceRequest<M>(
  client: TaurusClient<M>,
  message: M,
  request: () => Promise<M>,
): Promise<M> {
  if (!requestTrace.hasSubscribers) return request();
  const context: ClientRequestContext = { client: client as TaurusClient<unknown>, message };
  return requestTrace.tracePromise(request, context);
}

/** @internal */
export function publishConnect(
  client: TaurusClient<unknown>,
  connection: Connection<unknown>,
  reconnect: boolean,
): void {
  if (!connectChannel.hasSubscribers) return;
  const message: ClientConnectMessage = { client, connection, reconnect };
  connectChannel.publish(message);
}

/** @internal */
export function publishReconnect(
  client: TaurusClient<unknown>,
  attempt: number,
  delay: number,
  error: TaurusError,
): void {
  if (!reconnectChannel.hasSubscribers) return;
  const message: ClientReconnectMessage = { client, attempt, delay, error };
  reconnectChannel.publish(message);
}
