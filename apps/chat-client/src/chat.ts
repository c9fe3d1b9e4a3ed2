// One chat session: joins on every (re)connect, sends lines, shows what arrives.

import { createClient, type TaurusClient } from "@taurus/client";
import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import type { Args } from "./args";
import { type ChatCodec, type ChatMessage, HEARTBEAT, JOINED, LEFT, SYSTEM, USER } from "./codec";

export interface Screen {
  /** Shows a line above the prompt. */
  show(line: string): void;
}

/** Heartbeat every 5 s, as the Go client; a peer silent for 15 s is dead. */
const HEARTBEAT_INTERVAL = 5_000;
const HEARTBEAT_TIMEOUT = 15_000;

export class ChatSession<M> {
  private readonly client: TaurusClient<M>;
  private sequence = 0;
  private leaving = false;

  constructor(
    private readonly args: Args,
    private readonly codec: ChatCodec<M>,
    private readonly screen: Screen,
  ) {
    this.client = createClient<M>({
      address: { host: args.host, port: args.port },
      protocol: codec.protocol,
      maxRetries: Number.POSITIVE_INFINITY,
      heartbeat: {
        interval: HEARTBEAT_INTERVAL,
        timeout: HEARTBEAT_TIMEOUT,
        message: () => this.message(HEARTBEAT, "ping"),
        isReply: (m) => this.codec.unwrap(m)?.type === HEARTBEAT,
      },
      handler: {
        onConnect: () => {
          this.screen.show(`*** connected to ${args.host}:${args.port} (${args.protocol}) ***`);
          this.trySend(this.message(SYSTEM, JOINED));
        },
        onMessage: (m) => this.received(m),
        onDisconnect: (error) => {
          if (!this.leaving)
            this.screen.show(`*** disconnected${error ? ` (${error.code})` : ""} ***`);
        },
        onError: (error) => this.failed(error),
      },
    });
    this.client.on("reconnecting", ({ attempt, delay }) =>
      this.screen.show(
        `*** reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${attempt}) ***`,
      ),
    );
  }

  /** Connects, retrying for as long as it takes. */
  start(): Promise<void> {
    return this.client.connect();
  }

  /** Sends a line as a user message; says why when it cannot. */
  say(line: string): void {
    if (line.length === 0) return;
    this.trySend(this.message(USER, line));
  }

  /** Sends the leave message, flushes, and closes. */
  async leave(): Promise<void> {
    this.leaving = true;
    if (this.client.state !== "closed") {
      this.trySend(this.message(SYSTEM, LEFT));
      await this.client.close();
    }
  }

  private message(type: number, content: string): M {
    this.sequence = (this.sequence % 0xffffffff) + 1;
    return this.codec.wrap({
      type,
      sequence: this.sequence,
      from: this.args.username,
      to: "",
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

  private received(m: M): void {
    const chat = this.codec.unwrap(m);
    if (!chat) return;
    this.screen.show(format(chat, this.args.username) ?? "");
  }

  private failed(error: TaurusError): void {
    if (error.kind === "protocol")
      this.screen.show(`*** dropped bytes from the server (${error.code}) ***`);
  }
}

/** How a message is shown; `undefined` for what is not shown (our own lines, heartbeats). */
export function format(chat: ChatMessage, me: string): string | undefined {
  if (chat.type === USER) return chat.from === me ? undefined : `[${chat.from}] ${chat.content}`;
  if (chat.type === SYSTEM)
    return `*** ${chat.from === "server" ? "" : `${chat.from} `}${chat.content} ***`;
  if (chat.type === HEARTBEAT) return undefined;
  return `*** (type ${chat.type}) [${chat.from}] ${chat.content} ***`;
}
