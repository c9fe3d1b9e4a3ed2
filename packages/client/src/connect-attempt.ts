// One connection attempt of the client: a TCP (or TLS, or custom) socket to the server,
// with its own deadline (`handshakeTimeout`, formerly `connectTimeout`). The client's
// reconnect loop (backoff, retries) decides when to make one.
import net from "node:net";
import tls from "node:tls";
import { type ConnectionSocket, TaurusError } from "@taurus/core-conn";
import type { ResolvedClientOptions } from "./options";

/** What an attempt tells the client. @internal */
export interface AttemptHooks {
  /** Called with a function that abandons the attempt, then with `undefined` once it settled. */
  abortable(abort: (() => void) | undefined): void;
  /** The socket is connected (with TLS: the handshake is done). */
  ready(socket: ConnectionSocket): void;
  /** The attempt failed (`SOCKET` or `CONNECT_TIMEOUT`); the socket is destroyed. */
  failed(error: TaurusError): void;
}

function noop(): void {}

/** A socket to the server, by the client's `connect` factory, TLS or TCP. */
function makeSocket<M>(options: ResolvedClientOptions<M>): ConnectionSocket {
  const { host, port, tls: tlsOptions, connect } = options;
  if (connect) return connect({ host, port, tls: tlsOptions }) as ConnectionSocket;
  // tls.connect passes allowHalfOpen to the TLSSocket, though its typings omit it.
  const secure: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    host,
    port,
    ...tlsOptions,
    allowHalfOpen: true,
  };
  const socket = tlsOptions
    ? tls.connect(secure)
    : net.connect({ host, port, allowHalfOpen: true });
  socket.setNoDelay(true);
  return socket;
}

/**
 * Starts one connection attempt. Exactly one of `ready` and `failed` is
 * called, unless the attempt is abandoned through `abortable`'s function.
 *
 * @internal
 */
export function attemptConnection<M>(options: ResolvedClientOptions<M>, hooks: AttemptHooks): void {
  let socket: ConnectionSocket;
  try {
    socket = makeSocket(options);
  } catch (err) {
    hooks.failed(new TaurusError("SOCKET", `cannot create socket: ${String(err)}`, { cause: err }));
    return;
  }
  const { host, port, connectTimeout } = options;
  const readyEvent = options.tls ? "secureConnect" : "connect";
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off(readyEvent, onReady);
    socket.off("error", onError);
    socket.off("close", onClose);
    hooks.abortable(undefined);
  };
  const discard = (): void => {
    cleanup();
    socket.on("error", noop); // a destroyed socket must not crash the process with a late error
    socket.destroy();
  };
  const onReady = (): void => {
    cleanup();
    hooks.ready(socket);
  };
  const onError = (err: Error): void => {
    discard();
    hooks.failed(
      new TaurusError("SOCKET", `cannot connect to ${host}:${port}: ${err.message}`, {
        cause: err,
      }),
    );
  };
  const onClose = (): void => {
    discard();
    hooks.failed(new TaurusError("SOCKET", `socket to ${host}:${port} closed before connecting`));
  };
  const timer = setTimeout(() => {
    discard();
    hooks.failed(
      new TaurusError(
        "CONNECT_TIMEOUT",
        `connecting to ${host}:${port} took over ${connectTimeout} ms`,
      ),
    );
  }, connectTimeout);
  socket.once(readyEvent, onReady);
  socket.once("error", onError);
  socket.once("close", onClose);
  hooks.abortable(discard);
  if (!options.tls && socket.connecting !== true) onReady();
}
