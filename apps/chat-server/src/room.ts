// One chat room over two servers: JSON and binary clients see each other's messages,
// each encoded in its own protocol. Both servers join the room's channel on one backplane
// adapter: in-process by default, or one that joins instances (IPC between cluster
// workers, Redis across machines); a broadcast on either server reaches the other and
// every other instance, each re-encoding the neutral JSON for its own protocol.
import { type Connection, MemoryBudget, type TaurusError } from "@taurus/core-conn";
import { ServerMetrics, type ServerMetricsSnapshot } from "@taurus/metrics";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { LogThrottle } from "@taurus/ratelimit";
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
  JOINED,
  LEFT,
  SYSTEM,
  toBinary,
  toJson,
  USER,
} from "./chat";
import { binaryCodec, jsonCodec, ROOM_CHANNEL } from "./codec";
import { isRoom, runCommand } from "./commands";
import type { Config } from "./config";
import { type NameDirectory, nameKey } from "./directory";
import { farewellMessage } from "./farewell";
import { type Holder, Names, nameProblem } from "./identity";
import type { Logger } from "./logger";
import { Notices } from "./notices";
import { startWeb, type WebServer } from "./web";

/** The connection's attribute holding its bound name (a {@link Holder}). */
const HOLDER = "holder";
/** A join with this `to` asks for a reclaim token (Go clients send ""). */
const TOKEN_REQUEST = "server";
/** A join whose content is this and a token takes the name back from a held connection. */
const RECLAIM = "/reclaim ";

/** A joined connection, as private messages reach it. */
interface Speaker {
  conn: Connection<unknown>;
  send(chat: ChatMessage): void;
}

/**
 * The servers' sessions: off with a resume window of 0. A session's buffer holds four
 * send queues' worth of what is said while its user is away; past it the session is
 * lost (the user rejoins and is told), never silently cut.
 */
function sessionOptions(config: Config) {
  if (config.resumeWindow === 0) return false;
  return {
    resumeWindow: config.resumeWindow,
    maxBufferedBytes: 4 * config.sendQueueBytes,
    maxSessions: Number.isFinite(config.maxConnections) ? config.maxConnections : undefined,
  };
}

/** The name `conn` holds, once it joined. */
const holderOf = (conn: Connection<unknown>): Holder<Speaker> | undefined =>
  conn.attributes.get(HOLDER) as Holder<Speaker> | undefined;

/** The chat's two protocols, each served on its own port. */
export type ChatProtocol = "json" | "binary";

/** Both servers' counters at one moment. */
export type ChatSnapshot = Record<ChatProtocol, ServerMetricsSnapshot>;

export class ChatRoom {
  /** Each server's own counters, exposed labelled `protocol="json"|"binary"`. */
  readonly metrics: Record<ChatProtocol, ServerMetrics> = {
    json: new ServerMetrics(),
    binary: new ServerMetrics(),
  };
  readonly json: TaurusServer<JsonMessage>;
  readonly binary: TaurusServer<BinaryMessage>;
  /** The web chat page and its WebSocket (the JSON server's), with --web-port. */
  private web: WebServer | undefined;
  /** Bytes held for peers, both protocols together. */
  readonly memoryBudget: MemoryBudget;
  private sequence = 0;
  /** Names bound on this instance. */
  readonly names = new Names<Speaker>();
  /** Users whose connection dropped, by session id, while their session waits for them. */
  private readonly away = new Map<string, Holder<Speaker>>();
  /** Join and leave notices, coalesced. */
  private readonly notices: Notices;
  /** Repeated log lines (per code and connection) are counted, then summarised. */
  private readonly throttle = new LogThrottle({ linesPerCode: 10 });
  private readonly summaryTimer: NodeJS.Timeout;

  /** Both servers' counters, now. */
  snapshot(): ChatSnapshot {
    return { json: this.metrics.json.snapshot(), binary: this.metrics.binary.snapshot() };
  }

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    readonly adapter: BroadcastAdapter = createLocalAdapter(),
    /** Names across instances (workers, Redis); none for one process. */
    private readonly directory?: NameDirectory,
  ) {
    // Another instance took a name of ours back with its token: our connection goes, quietly.
    directory?.onKick((key) => {
      const holder = this.names.get(key);
      if (holder === undefined || !this.names.release(holder)) return;
      holder.peer.conn.attributes.delete(HOLDER);
      holder.peer.conn.destroy();
      this.log.info("name reclaimed elsewhere", { conn: holder.peer.conn.id });
    });
    this.memoryBudget = new MemoryBudget(config.memoryBudget);
    this.notices = new Notices(
      config.noticeInterval,
      (notice) => this.announce(notice),
      () => this.nextSequence(),
    );
    this.summaryTimer = setInterval(() => this.summarise(), config.logInterval);
    this.summaryTimer.unref();
    const options = {
      maxConnections: config.maxConnections,
      rateLimit: config.rateLimit,
      idleTimeout: config.idleTimeout,
      maxMessageSize: config.maxMessageSize,
      writeTimeout: config.writeTimeout,
      frameTimeout: config.frameTimeout,
      memoryBudget: this.memoryBudget,
      sendQueueBytes: config.sendQueueBytes,
      inboundBytesPerSecond: config.inboundBytesPerSecond,
      perAddress: {
        maxConcurrent: config.maxConnectionsPerAddress,
        ratePerSecond: config.connectionRatePerAddress,
        messagesPerSecond: config.messageRatePerAddress,
        trusted: config.trustedProxies,
      },
      shutdownTimeout: config.shutdownTimeout,
      sessions: sessionOptions(config),
    };
    this.json = createServer({
      ...options,
      metrics: this.metrics.json,
      protocol: createJsonProtocol(),
      backplane: { adapter, codec: jsonCodec, channel: ROOM_CHANNEL },
      handler: {
        onConnect: (conn) => this.connected(conn, "json"),
        onMessage: (message, conn) =>
          this.received(conn, fromJson(message), (c) => toJson(c), this.json),
        onClose: (error, conn) => this.closed(conn, "json", error),
        onError: (error, conn) => this.failed(error, conn, "json"),
        farewell: (error) => this.farewell(error, toJson),
      },
    });
    this.binary = createServer({
      ...options,
      metrics: this.metrics.binary,
      protocol: createBinaryProtocol(),
      backplane: { adapter, codec: binaryCodec, channel: ROOM_CHANNEL },
      handler: {
        onConnect: (conn) => this.connected(conn, "binary"),
        onMessage: (message, conn) => {
          const chat = fromBinary(message);
          if (!chat) {
            this.warn("binary frame without a chat payload", "NO_CHAT_PAYLOAD", conn, {
              type: message.type,
            });
            return;
          }
          return this.received(conn, chat, (c) => toBinary(c), this.binary);
        },
        onClose: (error, conn) => this.closed(conn, "binary", error),
        onError: (error, conn) => this.failed(error, conn, "binary"),
        farewell: (error) => this.farewell(error, toBinary),
      },
    });
    for (const [protocol, server] of [
      ["json", this.json],
      ["binary", this.binary],
    ] as const) {
      server.on("acceptResumed", () => this.log.info("accepting again", { protocol }));
      const s = server as TaurusServer<unknown>;
      s.on("sessionResumed", (info, conn, previous) => this.resumed(info.id, conn, previous));
      s.on("sessionLost", (info) => this.lost(info.id));
    }
  }

  async listen(): Promise<{ json: number; binary: number; web?: number }> {
    const { host, jsonPort, binaryPort, webPort } = this.config;
    const json = await this.json.listen(jsonPort, host);
    const binary = await this.binary.listen(binaryPort, host);
    if (webPort === undefined) return { json: json.port, binary: binary.port };
    this.web = await startWeb(this.json as TaurusServer<unknown>, host, webPort, this.log);
    return { json: json.port, binary: binary.port, web: this.web.port };
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

  /** Closes both servers, then the name directory and the adapter. */
  async close(): Promise<{ closed: number; forced: number }> {
    const [a, b] = await Promise.all([this.json.close(), this.binary.close()]);
    await this.web?.close();
    await this.directory?.close();
    await this.adapter.close();
    this.notices.close();
    clearInterval(this.summaryTimer);
    this.summarise();
    return { closed: a.closed + b.closed, forced: a.forced + b.forced };
  }

  private nextSequence(): number {
    this.sequence = (this.sequence % 0xffffffff) + 1;
    return this.sequence;
  }

  /** A notice to everyone, here and on every other instance. */
  private announce(notice: ChatMessage): void {
    try {
      this.broadcast(notice);
    } catch (err) {
      this.warn("could not announce", "ANNOUNCE_FAILED", undefined, { error: String(err) });
    }
  }

  private farewell<M>(error: TaurusError, encode: (c: ChatMessage) => M): M | undefined {
    const chat = farewellMessage(error, this.nextSequence());
    return chat && encode(chat);
  }

  private connected<M>(conn: Connection<M>, protocol: string): void {
    if (this.throttle.admit("connected")) {
      this.log.info("connected", { conn: conn.id, protocol, remote: conn.remoteAddress });
    }
  }

  /** A warn line, at most once per code and connection per log interval (then summarised). */
  private warn<M>(
    msg: string,
    code: string,
    conn: Connection<M> | undefined,
    fields: Record<string, unknown> = {},
  ): void {
    if (this.throttle.admit(code, conn?.id))
      this.log.warn(msg, { conn: conn?.id, code, ...fields });
  }

  private summarise(): void {
    const summary = this.throttle.flush();
    if (summary) this.log.warn("repeated log lines suppressed", { ...summary });
  }

  private received<M>(
    conn: Connection<M>,
    chat: ChatMessage,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
  ): undefined | Promise<void> {
    const holder = holderOf(conn);
    // `from`: the bound name, or the name claimed by a peer that has not joined.
    this.log.debug("message", {
      conn: conn.id,
      type: chat.type,
      from: holder?.name ?? chat.from,
      joined: holder !== undefined,
    });
    switch (chat.type) {
      case HEARTBEAT:
        conn.send(
          encode({
            type: HEARTBEAT,
            sequence: chat.sequence,
            from: "server",
            to: holder?.name ?? "",
            content: "pong",
          }),
        );
        return;
      case SYSTEM:
        if (holder === undefined) return this.join(conn, chat, encode, server);
        if (chat.content === LEFT) {
          // Joins and leaves: coalesced, so a storm of them costs one broadcast per interval.
          this.notices.add({ ...chat, from: holder.name, to: "", content: LEFT });
        } else if (chat.content.startsWith("/")) {
          this.command(conn, holder, chat.content, encode, server);
        } else if (chat.content !== JOINED) {
          this.tell(conn, encode, "system messages come from the server only");
        }
        return;
      case USER: {
        if (holder === undefined) {
          this.tell(conn, encode, "join first: send a system message with your name");
          return;
        }
        const spoken = { ...chat, from: holder.name };
        // Everyone: encoded once for the sender's protocol; the other protocol and the
        // other instances get it through the backplane.
        if (chat.to === "") server.broadcast(encode(spoken));
        else if (isRoom(chat.to)) this.toRoom(conn, spoken, encode, server);
        else return this.whisper(conn, spoken, encode, server);
        return;
      }
      default:
        this.warn("unknown message type", "UNKNOWN_TYPE", conn, { type: chat.type });
    }
  }

  /**
   * A first system message: binds its `from` as the connection's name, or says why not.
   * With a directory (workers, Redis), the name is claimed there too: the connection reads
   * nothing more until it answers.
   */
  private join<M>(
    conn: Connection<M>,
    chat: ChatMessage,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
  ): undefined | Promise<void> {
    const name = chat.from;
    const problem = nameProblem(name);
    if (problem !== undefined) {
      this.tell(conn, encode, `cannot join: ${problem}`);
      return;
    }
    // A resumed session moves the speaker to its new connection (see `resumed`).
    const speaker: Speaker = {
      conn: conn as Connection<unknown>,
      send: (c) => (speaker.conn as Connection<M>).send(encode(c)),
    };
    const presented = chat.content.startsWith(RECLAIM)
      ? chat.content.slice(RECLAIM.length)
      : undefined;
    const local = this.names.claim(name, speaker);
    if (local === undefined) {
      // Held here: only its holder's token takes it back.
      const taken =
        presented === undefined ? undefined : this.names.reclaim(name, presented, speaker);
      if (taken === undefined) {
        this.tell(conn, encode, `cannot join: ${name} is taken`);
        return;
      }
      // The user is back on a new connection: the old one goes, quietly.
      taken.replaced.peer.conn.attributes.delete(HOLDER);
      taken.replaced.peer.conn.destroy();
      this.log.info("name reclaimed", { conn: conn.id, old: taken.replaced.peer.conn.id });
      // The directory learns the new token (the old connection was ours: nobody is kicked).
      void this.directory?.claim(name, taken.holder.token, presented);
      this.bind(conn, taken.holder, chat, encode, server, false);
      return;
    }
    const directory = this.directory;
    if (directory === undefined) {
      this.bind(conn, local, chat, encode, server, true);
      return;
    }
    return directory.claim(name, local.token, presented).then((result) => {
      if (result === "taken" || conn.state !== "open") {
        this.names.release(local);
        if (result === "taken") this.tell(conn, encode, `cannot join: ${name} is taken`);
        else directory.release(name, local.token);
        return;
      }
      this.bind(conn, local, chat, encode, server, result === "claimed");
    });
  }

  /** The name is the connection's: announce it (unless taken back), hand out a token. */
  private bind<M>(
    conn: Connection<M>,
    holder: Holder<Speaker>,
    chat: ChatMessage,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
    announce: boolean,
  ): void {
    conn.attributes.set(HOLDER, holder);
    if (announce) this.notices.add({ ...chat, to: "", content: JOINED });
    // Private messages from other instances reach the user through a room of its own.
    if (this.directory) server.rooms.join(conn, `@${nameKey(holder.name)}`);
    if (chat.to === TOKEN_REQUEST) {
      conn.send(encode(this.notice(holder.name, `/token ${holder.token}`)));
    }
  }

  /** A command of a joined user (`/join #room`...), answered to it alone. */
  private command<M>(
    conn: Connection<M>,
    holder: Holder<Speaker>,
    line: string,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
  ): void {
    const answer = runCommand(line, {
      name: holder.name,
      join: (room) => server.rooms.join(conn, room),
      leave: (room) => server.rooms.leave(conn, room),
      mine: () => server.rooms.of(conn),
      rooms: () => this.roomMembers(),
      names: () => this.names.list(),
      announce: (room, content) => {
        server.rooms.broadcast(room, encode(this.notice(room, content)));
      },
    });
    if (answer !== undefined) conn.send(encode(this.notice(holder.name, answer)));
  }

  /** Rooms with a member in this process (both protocols), with the members' names. */
  private roomMembers(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const server of [this.json, this.binary] as Array<TaurusServer<unknown>>) {
      for (const room of server.rooms.list().filter(isRoom)) {
        const names = server.rooms
          .members(room)
          .map((c) => holderOf(c)?.name)
          .filter((n): n is string => n !== undefined);
        out.set(room, [...(out.get(room) ?? []), ...names]);
      }
    }
    return out;
  }

  /** A message to a room: its members everywhere get it, the sender included. */
  private toRoom<M>(
    conn: Connection<M>,
    chat: ChatMessage,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
  ): void {
    if (!server.rooms.of(conn).includes(chat.to)) {
      this.tell(conn, encode, `join ${chat.to} first: /join ${chat.to}`);
      return;
    }
    server.rooms.broadcast(chat.to, encode(chat));
  }

  /** A message to one user: only they (and the sender) get it, on whichever instance. */
  private whisper<M>(
    conn: Connection<M>,
    chat: ChatMessage,
    encode: (c: ChatMessage) => M,
    server: TaurusServer<M>,
  ): undefined | Promise<void> {
    const target = this.names.get(chat.to);
    if (target !== undefined) {
      const delivered = { ...chat, to: target.name };
      target.peer.send(delivered);
      if (target.peer.conn !== conn) conn.send(encode(delivered));
      return;
    }
    const directory = this.directory;
    if (directory === undefined) {
      this.tell(conn, encode, `no user named ${chat.to}`);
      return;
    }
    return directory.has(chat.to).then((held) => {
      if (!held) {
        this.tell(conn, encode, `no user named ${chat.to}`);
        return;
      }
      server.rooms.broadcast(`@${nameKey(chat.to)}`, encode(chat));
      conn.send(encode(chat));
    });
  }

  /** A system message from the server to one connection. */
  private notice(to: string, content: string): ChatMessage {
    return { type: SYSTEM, sequence: this.nextSequence(), from: "server", to, content };
  }

  /** Tells one connection what went wrong with what it sent; nothing else hears it. */
  private tell<M>(conn: Connection<M>, encode: (c: ChatMessage) => M, text: string): void {
    const holder = holderOf(conn);
    conn.send(encode(this.notice(holder?.name ?? "", `error: ${text}`)));
  }

  private closed<M>(conn: Connection<M>, protocol: string, error: TaurusError | undefined): void {
    const holder = holderOf(conn);
    const server = (protocol === "json" ? this.json : this.binary) as TaurusServer<unknown>;
    const session = server.awaitingResume(conn as Connection<unknown>);
    if (holder !== undefined && session !== undefined) {
      // Away, not gone: the session keeps the name, the rooms and what is said meanwhile.
      this.away.set(session, holder);
      this.log.debug("away", { conn: conn.id, protocol, name: holder.name, reason: error?.code });
      return;
    }
    if (this.throttle.admit("disconnected")) {
      this.log.info("disconnected", {
        conn: conn.id,
        protocol,
        name: holder?.name,
        reason: error?.code,
      });
    }
    // Only a peer that joined (holds a name) is announced; never an address; never one
    // whose name was taken back by its user on a new connection.
    // Announced even with nobody left here: other instances may have listeners.
    if (holder !== undefined) this.left(holder);
  }

  /** A user is gone for good: its name is free again, and everyone hears it. */
  private left(holder: Holder<Speaker>): void {
    if (!this.names.release(holder)) return;
    this.directory?.release(holder.name, holder.token);
    this.notices.add(this.notice("", `${holder.name} disconnected`));
  }

  /** A session came back on `conn`: its user carries on there, unannounced. */
  private resumed(
    id: string,
    conn: Connection<unknown>,
    previous: Connection<unknown> | undefined,
  ): void {
    const holder = this.away.get(id) ?? (previous && holderOf(previous));
    this.away.delete(id);
    if (holder === undefined) return;
    // The old connection may report its close after this: it no longer holds the name.
    previous?.attributes.delete(HOLDER);
    holder.peer.conn = conn;
    conn.attributes.set(HOLDER, holder);
    this.log.debug("back", { conn: conn.id, name: holder.name });
  }

  /** A session that cannot resume: its user is gone. */
  private lost(id: string): void {
    const holder = this.away.get(id);
    this.away.delete(id);
    if (holder !== undefined) this.left(holder);
  }

  private failed<M>(error: TaurusError, conn: Connection<M> | undefined, protocol: string): void {
    // A flood (bad frames, refusals, full queues of a peer that does not read...)
    // logs a line per code and connection per interval, then a summary.
    if (!this.throttle.admit(error.code, conn?.id)) return;
    const fields = { protocol, conn: conn?.id, code: error.code, error: error.message };
    if (error.kind === "protocol" || error.code === "IDLE_TIMEOUT")
      this.log.debug("connection error", fields);
    else this.log.warn("connection error", fields);
  }
}
