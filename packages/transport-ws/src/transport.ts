import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { TaurusError } from "@taurus/core-conn";
import type { TaurusServer } from "@taurus/server";
import { WebSocketServer } from "ws";
import { WebSocketDuplex } from "./duplex";
import { type FrameLength, frameLengthFor } from "./frames";
import { Handshakes } from "./handshakes";
import {
  originAllowed,
  peerAddress,
  type ResolvedTransportOptions,
  resolveTransportOptions,
  type WebSocketTransportOptions,
} from "./options";

/**
 * WebSocket connections fed into a `TaurusServer`: see {@link attachWebSocket}.
 */
export class WebSocketTransport {
  private readonly options: ResolvedTransportOptions;
  private readonly wss: WebSocketServer;
  private readonly http: http.Server;
  private readonly own: boolean;
  private readonly handshakes: Handshakes;
  private readonly frameLength: FrameLength | undefined;
  private readonly onError: ((error: TaurusError) => void) | undefined;
  private closing: Promise<void> | undefined;

  /** @internal use {@link attachWebSocket} */
  constructor(
    private readonly server: TaurusServer<unknown>,
    options: WebSocketTransportOptions,
  ) {
    this.options = resolveTransportOptions(options);
    this.onError = options.onError;
    this.frameLength = options.frameLength ?? frameLengthFor(server.protocol.name);
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: this.options.perMessageDeflate,
      maxPayload: server.maxMessageSize,
    });
    this.handshakes = new Handshakes(this.options, (socket, error) => this.refuse(socket, error));
    this.own = options.httpServer === undefined;
    this.http =
      options.httpServer ??
      http.createServer((_req, res) => {
        res.writeHead(426, { "content-type": "text/plain", connection: "close" });
        res.end("WebSocket only\n");
      });
    if (this.own) {
      this.http.headersTimeout = this.options.handshakeTimeout;
      this.http.requestTimeout = this.options.handshakeTimeout;
      this.http.on("connection", (socket: Socket) => this.handshakes.begin(socket));
    }
    this.http.on("upgrade", this.onUpgrade);
    server.once("close", () => void this.close());
  }

  /**
   * Listens on a port of the transport's own (only without `httpServer`).
   *
   * @param port - the TCP port; `0` picks a free one
   * @param host - the address to bind; when omitted, every interface
   * @returns the bound address
   * @throws `TaurusError` `INVALID_OPTION` when the transport shares an `httpServer`;
   *   `SOCKET` when the port cannot be bound
   */
  listen(port: number, host?: string): Promise<AddressInfo> {
    if (!this.own) {
      return Promise.reject(
        new TaurusError("INVALID_OPTION", "listen() is for a transport without httpServer", {
          option: "httpServer",
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new TaurusError("SOCKET", err.message, { cause: err }));
      this.http.once("error", onError);
      this.http.listen(port, host, () => {
        this.http.off("error", onError);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /** The bound address of the transport's own port, once listening. */
  address(): AddressInfo | undefined {
    const a = this.http.address();
    return a && typeof a === "object" ? a : undefined;
  }

  /** Handshakes in progress now. */
  get pendingHandshakes(): number {
    return this.handshakes.size;
  }

  /**
   * Stops taking WebSocket connections: destroys the handshakes in progress
   * and, for a transport with its own port, closes it. Connections already
   * handed to the server are the server's (its `close()` ends them). Called by
   * itself when the server closes; calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.http.off("upgrade", this.onUpgrade);
      this.handshakes.destroyAll();
      this.wss.close();
      if (this.own && this.http.listening) this.http.close(() => resolve());
      else resolve();
    });
    return this.closing;
  }

  private readonly onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const raw = socket as Socket;
    if (!this.own && !this.handshakes.begin(raw)) return;
    if (this.closing) return void socket.destroy();
    const path = this.options.path;
    if (path !== undefined && new URL(req.url ?? "/", "http://x").pathname !== path) {
      this.handshakes.end(raw);
      return void reject(socket, 404, "Not Found");
    }
    if (!originAllowed(req.headers.origin, req.headers.host, this.options.allowedOrigins)) {
      this.handshakes.end(raw);
      this.server.metrics.connectionRefused();
      this.count(
        new TaurusError("ORIGIN_REFUSED", `WebSocket origin ${String(req.headers.origin)} refused`),
      );
      return void reject(socket, 403, "Forbidden");
    }
    const remoteAddress = peerAddress(
      raw.remoteAddress,
      req.headers["x-forwarded-for"],
      this.options.trustedProxies,
    );
    const remotePort = raw.remotePort;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.handshakes.end(raw);
      const duplex = new WebSocketDuplex(
        ws,
        { remoteAddress, remotePort },
        () => this.count(new TaurusError("TEXT_MESSAGE", "WebSocket text message: binary only")),
        this.frameLength,
      );
      this.server.accept(duplex);
    });
  };

  private refuse(socket: Socket, error: TaurusError): void {
    socket.destroy();
    if (error.code === "CONNECTION_LIMIT") this.server.metrics.connectionRefused();
    this.count(error);
  }

  /** Counted in the server's metrics (by code) and passed to `onError`. */
  private count(error: TaurusError): void {
    this.server.metrics.error(error.kind, error.code);
    try {
      this.onError?.(error);
    } catch {
      // onError must not throw; there is nowhere left to report it.
    }
  }
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
    socket.destroy(),
  );
}

/**
 * Lets WebSocket peers (browsers) into a Taurus server: each binary WebSocket
 * message carries exactly one frame of the server's protocol, byte for byte
 * the frame a TCP peer sends, and each connection is handed to
 * `server.accept()`, so the same protocol, handler, rooms, limits, rate
 * limits, per-address limits (by the real remote address, or a trusted
 * proxy's `X-Forwarded-For`), memory budget, metrics and diagnostics apply.
 * A text message closes the connection (1003, counted as `TEXT_MESSAGE`); a
 * message over the server's `maxMessageSize` closes it (1009).
 *
 * @param server - the Taurus server the connections join (listening on TCP or not)
 * @param options - where to listen, which origins, handshake limits (see {@link WebSocketTransportOptions})
 * @returns the transport; without `httpServer`, call its `listen()`
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range
 *
 * @example
 * ```ts
 * const server = createServer({ protocol: createJsonProtocol(), handler });
 * await server.listen(7000);
 * const ws = attachWebSocket(server, { allowedOrigins: ["https://chat.example.com"] });
 * await ws.listen(7001);
 * ```
 */
export function attachWebSocket<M>(
  server: TaurusServer<M>,
  options: WebSocketTransportOptions = {},
): WebSocketTransport {
  return new WebSocketTransport(server as TaurusServer<unknown>, options);
}
