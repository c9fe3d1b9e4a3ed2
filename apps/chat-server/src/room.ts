// One chat room over two servers: JSON and binary clients see each other's messages,
// each encoded in its own protocol. Both servers join the room's channel on one backplane
// adapter: in-process by default, or one that joins instances (IPC between cluster
// workers, Redis across machines); a broadcast on either server reaches the other and
// every other instance, each re-encoding the neutral JSON for its own protocol.
import type { Connection, TaurusError } from "@taurus/core-conn";
import { ServerMetrics } from "@taurus/metrics";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import {
  type BroadcastAdapter,
  createLocalAdapter,
  createServer,
  type TaurusServer,
} from "@taurus/server";
import {
  type ChatMessage,
  fromBinary,
  fromJson,
  HEARTBEAT,
  SYSTEM,
  toBinary,
  toJson,
  USER,
} from "./chat";
import { binaryCodec, jsonCodec, ROOM_CHANNEL } from "./codec";
import type { Config } from "./config";
import type { Logger } from "./logger";

const NAME = "name";

export class ChatRoom {
  readonly metrics = new ServerMetrics();
  readonly json: TaurusServer<JsonMessage>;
  readonly binary: TaurusServer<BinaryMessage>;
  private sequence = 0;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    readonly adapter: BroadcastAdapter = createLocalAdapter(),
  ) {
    const options = {
      maxConnections: config.maxConnections,
      rateLimit: config.rateLimit,
      idleTimeout: config.idleTimeout,
      maxMessageSize: config.maxMessageSize,
      shutdownTimeout: config.shutdownTimeout,
      metrics: this.metrics,
    };
    this.json = createServer({
      ...options,
      protocol: createJsonProtocol(),
      backplane: { adapter, codec: jsonCodec, channel: ROOM_CHANNEL },
      handler: {
        onConnect: (conn) => this.connected(conn, "json"),
        onMessage: (conn, message) =>
          this.received(conn, fromJson(message), (c) => toJson(c), this.json),
        onClose: (conn, error) => this.closed(conn, "json", error),
        onError: (error, conn) => this.failed(error, conn, "json"),
      },
    });
    this.binary = createServer({
      ...options,
      protocol: createBinaryProtocol(),
      backplane: { adapter, codec: binaryCodec, channel: ROOM_CHANNEL },
      handler: {
        onConnect: (conn) => this.connected(conn, "binary"),
        onMessage: (conn, message) => {
          const chat = fromBinary(message);
          if (!chat) {
            this.log.warn("binary frame without a chat payload", {
              conn: conn.id,
              type: message.type,
            });
            return;
          }
          this.received(conn, chat, (c) => toBinary(c), this.binary);
        },
        onClose: (conn, error) => this.closed(conn, "binary", error),
        onError: (error, conn) => this.failed(error, conn, "binary"),
      },
    });
  }

  async listen(): Promise<{ json: number; binary: number }> {
    const { host, jsonPort, binaryPort } = this.config;
    const json = await this.json.listen(jsonPort, host);
    const binary = await this.binary.listen(binaryPort, host);
    return { json: json.port, binary: binary.port };
  }

  get connectionCount(): number {
    return this.json.connectionCount + this.binary.connectionCount;
  }

  /**
   * Sends one message to every connection of both protocols, here and on every
   * other instance: the JSON server sends it and publishes it once; the binary
   * server (through the adapter) and the other instances re-encode it.
   */
  broadcast(chat: ChatMessage): void {
    this.json.broadcast(toJson(chat));
  }

  /** Closes both servers, then the adapter. */
  async close(): Promise<{ closed: number; forced: number }> {
    const [a, b] = await Promise.all([this.json.close(), this.binary.close()]);
    await this.adapter.close();
    return { closed: a.closed + b.closed, forced: a.forced + b.forced };
  }

  private connected<M>(conn: Connection<M>, protocol: string): void {
    this.log.info("connected", { conn: conn.id, protocol, remote: conn.remoteAddress });
  }

  private received<M>(
    conn: Connection<M>,
    chat: ChatMessage,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
  ): void {
    if (chat.from && !conn.attributes.has(NAME)) conn.attributes.set(NAME, chat.from);
    switch (chat.type) {
      case HEARTBEAT:
        conn.send(
          encode({
            type: HEARTBEAT,
            sequence: chat.sequence,
            from: "server",
            to: chat.from,
            content: "pong",
          }),
        );
        return;
      case SYSTEM:
      case USER:
        this.log.debug("message", { conn: conn.id, type: chat.type, from: chat.from });
        // Encoded for the sender's protocol as the client sent it (the binary
        // frame's JSON body stays as is); the other protocol and instances get it
        // through the backplane.
        server.broadcast(encode(chat));
        return;
      default:
        this.log.warn("unknown message type", { conn: conn.id, type: chat.type });
    }
  }

  private closed<M>(conn: Connection<M>, protocol: string, error: TaurusError | undefined): void {
    const name = (conn.attributes.get(NAME) as string | undefined) ?? conn.remoteAddress ?? conn.id;
    this.log.info("disconnected", { conn: conn.id, protocol, name, reason: error?.code });
    // Announced even with nobody left here: other instances may have listeners.
    this.sequence = (this.sequence % 0xffffffff) + 1;
    try {
      this.broadcast({
        type: SYSTEM,
        sequence: this.sequence,
        from: "server",
        to: "",
        content: `${name} disconnected`,
      });
    } catch (err) {
      this.log.warn("could not announce a disconnect", { error: String(err) });
    }
  }

  private failed<M>(error: TaurusError, conn: Connection<M> | undefined, protocol: string): void {
    const fields = { protocol, conn: conn?.id, code: error.code, error: error.message };
    if (error.kind === "protocol" || error.code === "IDLE_TIMEOUT")
      this.log.debug("connection error", fields);
    else this.log.warn("connection error", fields);
  }
}
