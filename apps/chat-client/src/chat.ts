// One chat session: joins on every (re)connect, sends lines, shows what arrives.

import { createClient, type TaurusClient } from "@taurus/client";
import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import type { Args } from "./args";
import { type ChatCodec, type ChatMessage, HEARTBEAT, JOINED, LEFT, SYSTEM, USER } from "./codec";
import { readLine } from "./line";
import { PresenceTracker } from "./presence";
import { reason } from "./reason";
import { type Spoken, sniffing } from "./sniff";
import type { Words } from "./words";

export interface Screen {
  /** Shows a line above the prompt. */
  show(line: string): void;
}

/** Heartbeat every 5 s, as the Go client; a peer silent for 15 s is dead. */
/** A join with this `to` asks a Taurus chat server for a reclaim token. */
const TOKEN_REQUEST = "server";
/** How the server hands the token out: a system message to us, never shown. */
const TOKEN = "/token ";
/** A join's content that takes our name back with the token. */
const RECLAIM = "/reclaim ";
const HEARTBEAT_INTERVAL = 5_000;
const HEARTBEAT_TIMEOUT = 15_000;
/** A chat server sends our own join back at once: silence this long is worth a look. */
const FIRST_ANSWER_TIMEOUT = 3_000;

export interface SessionOptions<M> {
  args: Args;
  codec: ChatCodec<M>;
  screen: Screen;
  words: Words;
  /** Asks the other protocol whether the port speaks it (when the server stays silent). */
  otherProtocolAnswers?: () => Promise<boolean>;
  /** Called once the session cannot go on (the port speaks another protocol); exit with `code`. */
  fatal: (code: number) => void;
  /** Print each received chat message as one JSON line. */
  json?: boolean;
}

export class ChatSession<M> {
  private readonly client: TaurusClient<M>;
  private readonly args: Args;
  private readonly codec: ChatCodec<M>;
  private readonly screen: Screen;
  private readonly presence = new PresenceTracker();
  private sequence = 0;
  /** The token the server handed out at join: it takes the name back after a reconnect. */
  private token: string | undefined;
  /** The room typed lines go to (`/join #room`); "" for the main room. */
  private room = "";
  private leaving = false;
  private answered = false;
  private dropped = false;
  private silenceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionOptions<M>) {
    const { args, codec, screen } = options;
    this.args = args;
    this.codec = codec;
    this.screen = screen;
    this.client = createClient<M>({
      address: { host: args.host, port: args.port },
      protocol: sniffing(codec.protocol, (spoken) => this.mismatch(spoken)),
      maxRetries: Number.POSITIVE_INFINITY,
      // A dropped connection resumes where it stopped: nothing missed, nothing twice (a Go
      // server has no sessions: the client notices and carries on without).
      session: true,
      heartbeat: {
        interval: HEARTBEAT_INTERVAL,
        timeout: HEARTBEAT_TIMEOUT,
        message: () => this.message(HEARTBEAT, "ping"),
        isReply: (m) => {
          this.heard();
          return this.codec.unwrap(m)?.type === HEARTBEAT;
        },
      },
      handler: {
        onConnect: () => {
          this.screen.show(`*** connected to ${this.where} (${args.protocol}) ***`);
          // A join that asks for a reclaim token (to: "server"; Go servers ignore it), or
          // takes the name back with the one we hold (a Taurus server may still hold our
          // old connection).
          const join = this.token === undefined ? JOINED : `${RECLAIM}${this.token}`;
          this.trySend(this.message(SYSTEM, join, TOKEN_REQUEST));
          // Rooms are per connection: back in the room we were in.
          if (this.room !== "") this.trySend(this.message(SYSTEM, `/join ${this.room}`));
          if (!this.answered) this.watchSilence();
        },
        onMessage: (m) => this.received(m),
        onDisconnect: (error) => {
          this.dropped = true;
          if (!this.leaving)
            this.screen.show(`*** disconnected${error ? `: ${reason(error)}` : ""} ***`);
        },
        onError: (error) => this.failed(error),
      },
    });
    this.client.on("session", ({ resumed, replayed }) => {
      if (resumed)
        this.screen.show(`*** back on ${this.where}: nothing missed (${replayed} resent) ***`);
    });
    this.client.on("sessionLost", ({ unacknowledged }) => {
      if (this.leaving) return;
      const what =
        unacknowledged > 0 ? `; ${unacknowledged} of your lines may not have arrived` : "";
      this.screen.show(`*** the server lost our session: messages may be missing${what} ***`);
    });
    this.client.on("reconnecting", ({ attempt, delay, error }) => {
      if (this.leaving) return;
      const retry = `reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${attempt})`;
      // The first retry after a drop: onDisconnect already said why.
      if (this.dropped) this.screen.show(`*** ${retry} ***`);
      else this.screen.show(`*** cannot connect to ${this.where}: ${reason(error)}; ${retry} ***`);
      this.dropped = false;
    });
  }

  private get where(): string {
    const { host, port } = this.args;
    return `${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  /** Connects, retrying for as long as it takes. */
  start(): Promise<void> {
    this.screen.show(`*** connecting to ${this.where} (${this.args.protocol})... ***`);
    return this.client.connect().catch((err: unknown) => {
      if (!this.leaving) throw err;
    });
  }

  /**
   * Sends a line as a user message to the current room; `/msg name text` to one user;
   * `/join #room` (then typed lines go there), `/leave` (back to the main room), `/rooms`
   * and `/who [#room]` go to the server as commands. Says why when it cannot send.
   */
  say(line: string): void {
    if (line.length === 0) return;
    const read = readLine(line, this.room);
    if (read.kind === "local") this.screen.show(`*** ${read.text} ***`);
    else if (read.kind === "say") this.trySend(this.message(USER, read.text, read.to));
    else {
      this.room = read.room;
      this.trySend(this.message(SYSTEM, read.content));
    }
  }

  /** Sends the leave message (when connected), flushes, and closes. */
  async leave(): Promise<void> {
    this.leaving = true;
    clearTimeout(this.silenceTimer);
    if (this.client.state === "connected") this.trySend(this.message(SYSTEM, LEFT));
    await this.client.close();
  }

  private message(type: number, content: string, to = ""): M {
    this.sequence = (this.sequence % 0xffffffff) + 1;
    return this.codec.wrap({
      type,
      sequence: this.sequence,
      from: this.args.username,
      to,
      content,
    });
  }

  private trySend(message: M): void {
    try {
      this.client.send(message);
    } catch (err) {
      if (isTaurusError(err, "MESSAGE_TOO_LARGE"))
        this.screen.show("*** not sent: the message is too long ***");
      else if (isTaurusError(err, "SEND_QUEUE_FULL"))
        this.screen.show("*** not sent: too many messages waiting for the connection ***");
      else if (isTaurusError(err)) this.screen.show(`*** not sent: ${err.code} ***`);
      else throw err;
    }
  }

  private heard(): void {
    this.answered = true;
    clearTimeout(this.silenceTimer);
  }

  private received(m: M): void {
    this.heard();
    const chat = this.codec.unwrap(m);
    if (!chat) return;
    if (chat.type === SYSTEM && chat.from === "server" && chat.content.startsWith(TOKEN)) {
      this.token = chat.content.slice(TOKEN.length);
      return;
    }
    if (this.options.json) {
      if (chat.type !== HEARTBEAT) this.screen.show(JSON.stringify(chat));
      return;
    }
    const line = format(chat, this.args.username, this.presence, this.options.words);
    if (line) this.screen.show(line);
  }

  private failed(error: TaurusError): void {
    if (error.kind === "protocol" && !this.leaving)
      this.screen.show(`*** dropped bytes from the server (${error.code}) ***`);
  }

  /** The server's bytes are another protocol's: say which, and stop. */
  private mismatch(spoken: Spoken): void {
    if (this.leaving) return;
    const { host, port, username } = this.args;
    this.screen.show(
      spoken === "http"
        ? `*** ${this.where} speaks HTTP, not the chat protocols: is it the metrics port? ***`
        : `*** ${this.where} speaks the ${spoken} protocol, not ${this.args.protocol}: chat-client ${host.includes(":") ? `[${host}]` : host}:${port} ${username} --protocol ${spoken} ***`,
    );
    void this.leave().then(() => this.options.fatal(1));
  }

  /** No answer at all soon after joining: ask the port in the other protocol. */
  private watchSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(async () => {
      if (this.answered || this.leaving) return;
      const other = this.args.protocol === "json" ? "binary" : "json";
      if (await this.options.otherProtocolAnswers?.()) this.mismatch(other);
      else if (!this.answered && !this.leaving)
        this.screen.show(
          `*** no answer from ${this.where} in ${FIRST_ANSWER_TIMEOUT / 1000} s: is it a chat server? ***`,
        );
    }, FIRST_ANSWER_TIMEOUT);
  }
}

/**
 * How a message is shown; `undefined` for what is not shown (our own lines, heartbeats,
 * the second notice of one leave). Joins and leaves are told in the user's language.
 */
export function format(
  chat: ChatMessage,
  me: string,
  presence: PresenceTracker,
  words: Words,
): string | undefined {
  if (chat.type === USER) {
    if (chat.from === me) return undefined;
    if (chat.to === "") return `[${chat.from}] ${chat.content}`;
    if (chat.to.startsWith("#")) return `[${chat.to} ${chat.from}] ${chat.content}`;
    return `[${chat.from} → you] ${chat.content}`;
  }
  if (chat.type === SYSTEM) {
    const seen = presence.classify(chat.from, chat.content);
    if (seen === "duplicate") return undefined;
    if (seen)
      return `*** ${seen.kind === "joined" ? words.joined(seen.name) : words.left(seen.name)} ***`;
    return `*** ${chat.from === "server" ? "" : `${chat.from} `}${chat.content} ***`;
  }
  if (chat.type === HEARTBEAT) return undefined;
  return `*** (type ${chat.type}) [${chat.from}] ${chat.content} ***`;
}
