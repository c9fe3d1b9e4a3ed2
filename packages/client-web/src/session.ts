import {
  CONTROL_KIND,
  type Control,
  type ControlFrame,
  type ControlPayload,
  Inbox,
  Outbox,
  type Protocol,
  type SessionLostInfo,
  type SessionLostReason,
} from "@taurus/core-conn/codec";
import { CLOSE_PROTOCOL_ERROR, type WebSocketLike } from "./options";
import type { ResolvedWebSessionOptions } from "./session-options";

/** What the session tells the client. @internal */
export interface WebSessionHost<M> {
  /**
   * The server granted the session on `ws`: `resend` are the frames to write
   * first (`replayed` data frames, the requests among them flagged).
   */
  granted(
    ws: WebSocketLike,
    id: string,
    resumed: boolean,
    resend: Uint8Array[],
    replayed: number,
  ): void;
  /** No session on `ws` (refused, or the server is silent). */
  unavailable(ws: WebSocketLike, reason: "refused" | "silent"): void;
  /**
   * The session ended and cannot be resumed: `dropped` are the correlations of
   * the requests given up with it (those whose frames may have reached a server).
   */
  lost(info: SessionLostInfo, dropped: number[]): void;
  /** Writes the control message `message` on `ws`. */
  write(ws: WebSocketLike, message: M): void;
}

const REASONS: readonly SessionLostReason[] = ["expired", "overflow", "unknown", "limit", "closed"];

/** 16 random bytes, base64url: the id this client proposes for a new session. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The browser client's half of a session, as `@taurus/client`'s
 * `ClientSession` (see fixtures/wire/FORMAT.md, control frames): a hello on
 * each WebSocket, counts of what the client accepted and what it delivered,
 * acknowledgements, and the frames to send again after a resume.
 *
 * @internal
 */
export class WebSession<M> {
  id: string | undefined;
  /** The id proposed for the next new session, kept until a welcome or a refusal answers it. */
  private proposed: string | undefined;
  readonly outbox: Outbox;
  inbox: Inbox;
  private pending: WebSocketLike | undefined;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private ws: WebSocketLike | undefined;
  /** Requests by the client frame number that carried them: number -> correlation. */
  private readonly requests = new Map<number, number>();
  /** The client frame number the next data frame answers (a `reply` marker came first). */
  private nextReply: number | undefined;
  /** Frames (1-based, as the outbox counts them) that may have been written to a server. */
  private written = 0;
  private readonly control: Control<M>;
  /**
   * The `request` control frame, encoded: written right before each request's
   * frame (also when replayed), so that the server marks its reply.
   */
  readonly flag: Uint8Array;

  constructor(
    private readonly o: ResolvedWebSessionOptions,
    protocol: Protocol<M>,
    private readonly host: WebSessionHost<M>,
  ) {
    this.control = protocol.control as Control<M>;
    this.flag = protocol.encode(this.control.encode(CONTROL_KIND.request));
    this.outbox = new Outbox(o.maxBufferedMessages, o.maxBufferedBytes);
    this.inbox = new Inbox(o.ackEvery);
  }

  /** Whether `ws` still waits for the server's answer to the hello. */
  waiting(ws: WebSocketLike): boolean {
    return this.pending === ws;
  }

  /** Whether the session is granted: replies are matched by their `reply` markers only. */
  get held(): boolean {
    return this.id !== undefined;
  }

  /** A new WebSocket is open: say hello, wait for the answer (at most `helloTimeout`). */
  start(ws: WebSocketLike): void {
    this.ws = undefined;
    this.pending = ws;
    if (this.id === undefined) this.proposed ??= newId();
    const hello: ControlPayload =
      this.id === undefined
        ? { v: 1, id: this.proposed ?? "", received: 0, fresh: true }
        : { v: 1, id: this.id, received: this.inbox.received };
    this.host.write(ws, this.control.encode(CONTROL_KIND.hello, hello));
    this.helloTimer = setTimeout(() => this.silent(ws), this.o.helloTimeout);
  }

  /**
   * A data frame arrived on `ws` before any answer, or none came in time: the
   * server does not speak sessions. A session held is reported lost
   * (`"unknown"`): never silence.
   */
  silent(ws: WebSocketLike): void {
    if (this.pending !== ws) return;
    this.stopWaiting();
    this.end("unknown");
    this.proposed = undefined;
    this.outbox.clear(); // what waits goes out on this connection, without a session
    this.host.unavailable(ws, "silent");
  }

  /**
   * Whether `frame` may be accepted: a full retransmit buffer makes `send`
   * refuse it (`SEND_QUEUE_FULL`) rather than end the session, since
   * acknowledgements free room (as the Node client does).
   */
  room(frame: Uint8Array): boolean {
    const out = this.outbox;
    return (
      out.length < this.o.maxBufferedMessages && out.bytes + frame.length <= this.o.maxBufferedBytes
    );
  }

  /** The client accepted `frame` for sending while a session is (being) held ({@link WebSession.room} said it fits). */
  accepted(frame: Uint8Array, request?: number): void {
    this.outbox.push(frame);
    if (request !== undefined) this.requests.set(this.outbox.sent, request);
  }

  /**
   * Called for each data frame of the session before it is delivered.
   *
   * @returns the correlation of the request it answers, when a `reply` marker
   *   preceded it and that request was sent on this session
   */
  takeReply(): number | undefined {
    const to = this.nextReply;
    if (to === undefined) return undefined;
    this.nextReply = undefined;
    const sequence = this.requests.get(to);
    this.requests.delete(to);
    return sequence;
  }

  /** A data message from the server was delivered. */
  delivered(): void {
    if (this.id === undefined) return;
    if (this.inbox.processed()) this.ack();
    else this.ackTimer ??= setTimeout(this.ackDue, this.o.ackInterval);
  }

  private readonly ackDue = (): void => {
    this.ackTimer = undefined;
    this.ack();
  };

  /** `ws` closed. */
  closed(ws: WebSocketLike): void {
    if (this.pending === ws) this.stopWaiting();
    if (this.ws === ws) {
      // Every frame accepted so far may have reached a server; later ones wait offline.
      this.written = this.outbox.sent;
      this.ws = undefined;
      this.nextReply = undefined;
    }
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** The client closes for good. @returns the frames the server never acknowledged */
  dispose(): number {
    this.stopWaiting();
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.ws = undefined;
    return this.outbox.clear();
  }

  /** A control frame from the server on `ws`. */
  receive(ws: WebSocketLike, frame: ControlFrame): void {
    const p = frame.payload;
    switch (frame.kind) {
      case CONTROL_KIND.welcome: {
        if (this.pending !== ws || typeof p.id !== "string" || typeof p.received !== "number")
          return;
        this.stopWaiting();
        if (this.id !== undefined && this.id !== p.id) this.end("unknown");
        if (p.resumed !== true) this.renumber();
        if (!this.outbox.acknowledge(p.received)) {
          ws.close(CLOSE_PROTOCOL_ERROR, "bad welcome count");
          return;
        }
        this.id = p.id;
        this.proposed = undefined;
        this.ws = ws;
        const frames = this.outbox.unacknowledged();
        this.host.granted(ws, p.id, p.resumed === true, this.flagged(frames), frames.length);
        return;
      }
      case CONTROL_KIND.lost:
        if (typeof p.id === "string" && p.id === this.id) {
          this.end(REASONS.find((r) => r === p.reason) ?? "unknown");
        }
        return;
      case CONTROL_KIND.refuse:
        if (this.pending !== ws) return;
        this.stopWaiting();
        this.end("limit");
        this.proposed = undefined;
        this.outbox.clear(); // what waits goes out on this connection, without a session
        this.host.unavailable(ws, "refused");
        return;
      case CONTROL_KIND.ack:
        if (this.ws !== ws || typeof p.received !== "number") return;
        if (!this.outbox.acknowledge(p.received)) ws.close(CLOSE_PROTOCOL_ERROR, "bad ack count");
        else {
          // Replies travel before the ack that covers their request: forget the rest.
          for (const index of this.requests.keys()) {
            if (index > p.received) break;
            this.requests.delete(index);
          }
        }
        return;
      case CONTROL_KIND.reply:
        if (this.ws === ws && typeof p.to === "number") this.nextReply = p.to;
        return;
      default:
        return; // goodbye: the server ends the WebSocket; the client resumes on the next one
    }
  }

  /** `frames` (the unacknowledged ones, oldest first) with each request's flag before it. */
  private flagged(frames: Uint8Array[]): Uint8Array[] {
    if (this.requests.size === 0) return frames;
    const out: Uint8Array[] = [];
    let index = this.outbox.acknowledged;
    for (const frame of frames) {
      if (this.requests.has(++index)) out.push(this.flag);
      out.push(frame);
    }
    return out;
  }

  private stopWaiting(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    this.pending = undefined;
  }

  /**
   * Acknowledges what was delivered. A timer still armed stays armed: it
   * acknowledges what arrives next within `ackInterval`, at the cost of one
   * timer per interval instead of one per acknowledgement.
   */
  private ack(): void {
    const ws = this.ws;
    const inbox = this.inbox;
    if (ws === undefined || inbox.acknowledged === inbox.received) return;
    this.host.write(ws, this.control.encode(CONTROL_KIND.ack, { received: inbox.received }));
    inbox.acknowledged = inbox.received;
  }

  /**
   * A new session: the frames held (accepted since the last one ended, or
   * before any) are its frames 1, 2, 3..., as the server counts them.
   */
  private renumber(): void {
    const offset = this.outbox.acknowledged;
    if (offset === 0) return;
    const held = this.outbox.unacknowledged();
    this.outbox.restore(held.length, 0, held);
    this.written = Math.max(0, this.written - offset);
    const requests = [...this.requests];
    this.requests.clear();
    for (const [index, sequence] of requests) {
      if (index > offset) this.requests.set(index - offset, sequence);
    }
  }

  /**
   * The session ends and, if it was granted, is reported lost. The frames that
   * may have reached a server are given up (they may have been processed: at
   * most once); those accepted since the last connection closed never left
   * the page and become the next session's first frames.
   */
  private end(reason: SessionLostReason): void {
    const id = this.id;
    this.nextReply = undefined;
    const out = this.outbox;
    // On the live connection of the session (a `lost` on it) everything went out.
    const written =
      this.ws !== undefined
        ? out.sent
        : Math.min(Math.max(this.written, out.acknowledged), out.sent);
    const unacknowledged = written - out.acknowledged;
    out.acknowledge(written);
    const dropped: number[] = [];
    for (const [index, sequence] of [...this.requests]) {
      if (index > written) break;
      dropped.push(sequence);
      this.requests.delete(index);
    }
    const received = this.inbox.received;
    this.id = undefined;
    this.ws = undefined;
    this.inbox = new Inbox(this.o.ackEvery);
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (id !== undefined) this.host.lost({ id, reason, unacknowledged, received }, dropped);
  }
}
