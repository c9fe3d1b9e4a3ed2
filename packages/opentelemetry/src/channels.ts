// The channel names and the shapes this package reads from their messages: structural
// types, so that the package imports no Taurus package (see docs/DIAGNOSTICS.md).

/** The channels subscribed to. @internal */
export const CHANNELS = {
  connectionOpen: "taurus:connection:open",
  connectionClose: "taurus:connection:close",
  frameDropped: "taurus:connection:frame-dropped",
  serverMessage: "taurus:server:message",
  serverRefused: "taurus:server:refused",
  clientRequest: "taurus:client:request",
  clientReconnect: "taurus:client:reconnect",
} as const;

/** What is read of a connection. @internal */
export interface ConnectionLike {
  id: string;
  protocol: { name: string };
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** @internal */
export interface CloseMessage {
  connection: ConnectionLike;
  reason: string;
}

/** @internal */
export interface DropMessage {
  connection: ConnectionLike;
  reason: string;
}

/** @internal */
export interface RefusedMessage {
  error: { code: string };
}

/** @internal */
export interface ReconnectMessage {
  error: { code: string };
}

/** @internal */
export interface RequestContext {
  client: { host: string; port: number; protocol: { name: string } };
  error?: unknown;
}

/** @internal */
export interface MessageContext {
  connection: ConnectionLike;
  async?: boolean;
  error?: unknown;
}
