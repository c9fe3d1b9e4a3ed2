import { randomBytes } from "node:crypto";
import {
  CONTROL_KIND,
  type Connection,
  type ControlFrame,
  type ControlPayload,
  Inbox,
  Outbox,
  type Protocol,
  type SessionLostInfo,
  type SessionLostReason,
  TaurusError,
} from "@taurus/core-conn";
import type { ResolvedClientSessionOptions } from "./options";

/**
 * Hellos of a held session left unanswered in a row (each on its own
 * connection, `helloTimeout` apart) before the server is taken for one
 * without sessions.
 */
const UNANSWERED_HELLOS = 3;

/** What the session tells the client. @internal */
export interface ClientSessionHost<M> {
  /** The server granted the session on `conn`: `resend` are the frames to write first. */
  granted(conn: Connection<M>, id: string, resumed: boolean, resend: Uint8Array[]): void;
  /** No session on `conn` (refused, or the server is silent). */
  unavailable(conn: Connection<M>, reason: "refused" | "silent"): void;
  /** The session ended and cannot be resumed. */
  lost(info: SessionLostInfo): void;
}

const REASONS: readonly SessionLostReason[] = ["expired", "overflow", "unknown", "limit", "closed"];

/**
 * The client's half of a session: asks for it on each connection (one hello,
 * the only probe a silent server ever gets), counts what the client accepted
 * and what it delivered, acknowledges, and hands back what to send again.
 *
 * @internal
 */
export class ClientSession<M> {
  id: string | undefined;
  /**
   * The id this client proposes for its next new session, kept until a
   * welcome or a refusal answers it: when a cut takes the welcome, the next
   * hello proposes the same id, so the server goes on with the session it
   * started (and whatever it sent on it) instead of orphaning it.
   */
  private proposed: string | undefined;
  readonly outbox: Outbox;
  inbox: Inbox;
  private pending: Connection<M> | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private conn: Connection<M> | undefined;
  /** Requests by the client frame number that carried them: number -> correlation (item 6). */
  private readonly requests = new Map<number, number>();
  /** The client frame number the next data frame answers (a `reply` marker came first). */
  private nextReply: number | undefined;
  /** Frames (1-based, as the outbox counts them) that may have been written to a server. */
  private written = 0;
  /** Hellos of a held session left unanswered in a row (see `noAnswer`). */
  private unanswered = 0;
  /** The encoded request flag (see `requestFlag`). */
  private flag: Uint8Array | undefined;

  constructor(
    private readonly o: ResolvedClientSessionOptions,
    private readonly host: ClientSessionHost<M>,
  ) {
    this.outbox = new Outbox(o.maxBufferedMessages, o.maxBufferedBytes);
    this.inbox = new Inbox(o.ackEvery);
  }

  /** Whether `conn` still waits for the server's answer to the hello. */
  waiting(conn: Connection<M>): boolean {
    return this.pending === conn;
  }

  /** A new connection: attach, say hello, wait for the answer (at most `helloTimeout`). */
  start(conn: Connection<M>): void {
    this.conn = undefined;
    this.pending = conn;
    conn.attachSession({
      sent: () => undefined, // the client counts what it accepts, in `accepted`
      sendAfterClose: () => false,
      control: (frame) => this.control(conn, frame),
    });
    if (this.id === undefined && this.proposed === undefined) {
      this.proposed = randomBytes(16).toString("base64url");
    }
    const hello: ControlPayload =
      this.id === undefined
        ? { v: 1, id: this.proposed ?? "", received: 0, fresh: true }
        : { v: 1, id: this.id, received: this.inbox.received };
    conn.sendControl(this.encode(conn, CONTROL_KIND.hello, hello));
    this.helloTimer = setTimeout(() => this.noAnswer(conn), this.o.helloTimeout);
    this.helloTimer.unref();
  }

  /**
   * No answer to the hello within `helloTimeout`. A server that granted our
   * session before is taken to be slow (a restart under load, a store to
   * reach): the hello is asked again on a new connection, up to
   * {@link UNANSWERED_HELLOS} times in a row, before the server is taken for
   * one without sessions.
   */
  private noAnswer(conn: Connection<M>): void {
    if (this.pending !== conn) return;
    if (this.id !== undefined && ++this.unanswered < UNANSWERED_HELLOS) {
      this.stopWaiting();
      conn.destroy(
        new TaurusError(
          "HANDSHAKE_TIMEOUT",
          `no answer to the session hello within ${this.o.helloTimeout} ms (helloTimeout)`,
        ),
      );
      return;
    }
    this.silent(conn);
  }

  /**
   * The server does not speak sessions: a data frame arrived on `conn` before
   * any answer, or no answer came. A session held until now is lost, and
   * reported with its counts (never silently).
   */
  silent(conn: Connection<M>): void {
    if (this.pending !== conn) return;
    this.stopWaiting();
    if (this.id !== undefined) this.end("unknown");
    this.outbox.clear();
    this.id = undefined;
    this.proposed = undefined;
    this.unanswered = 0;
    this.host.unavailable(conn, "silent");
  }

  /**
   * The frame that flags the next data frame as a request (`request` control
   * kind), in `protocol`'s bytes: written before each request frame, also when
   * it is replayed, so that the server marks its reply.
   */
  requestFlag(protocol: Protocol<M>): Uint8Array {
    if (this.flag === undefined) {
      const control = protocol.control as NonNullable<Protocol<M>["control"]>;
      this.flag = protocol.encode(control.encode(CONTROL_KIND.request));
    }
    return this.flag;
  }

  /** Whether `frame` is the request flag (the very bytes {@link ClientSession.requestFlag} returns). */
  isRequestFlag(frame: Uint8Array): boolean {
    return frame === this.flag;
  }

  /** The frames to send again on a granted connection: the unacknowledged ones, requests flagged. */
  private resend(protocol: Protocol<M>): Uint8Array[] {
    const frames = this.outbox.unacknowledged();
    if (this.requests.size === 0) return frames;
    const out: Uint8Array[] = [];
    let index = this.outbox.acknowledged;
    for (const frame of frames) {
      if (this.requests.has(++index)) out.push(this.requestFlag(protocol));
      out.push(frame);
    }
    return out;
  }

  /**
   * Whether the retransmit buffer cannot hold `frame` now: `send()` refuses it
   * (`SEND_QUEUE_FULL`) instead of ending the session, since acknowledgements
   * free room (connected, or after a resume).
   */
  full(frame: Uint8Array): boolean {
    return !this.outbox.fits(frame.length);
  }

  /**
   * The client accepted `frame` for sending while a session is (being) held;
   * {@link ClientSession.full} said it fits.
   */
  accepted(frame: Uint8Array, request?: number): void {
    this.outbox.push(frame);
    if (request !== undefined) this.requests.set(this.outbox.sent, request);
  }

  /** Whether the session is granted: replies are matched by their `reply` markers only. */
  get held(): boolean {
    return this.id !== undefined;
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
    else if (this.ackTimer === undefined) {
      this.ackTimer = setTimeout(this.ackDue, this.o.ackInterval);
      this.ackTimer.unref();
    }
  }

  private readonly ackDue = (): void => {
    this.ackTimer = undefined;
    this.ack();
  };

  /**
   * Acknowledges what was delivered. A timer still armed stays armed: it
   * acknowledges what arrives next within `ackInterval` (no later than that
   * after any message), at the cost of one timer per interval instead of one
   * per acknowledgement.
   */
  private ack(): void {
    const conn = this.conn;
    if (conn === undefined || this.inbox.acknowledged === this.inbox.received) return;
    if (conn.sendControl(this.encode(conn, CONTROL_KIND.ack, { received: this.inbox.received }))) {
      this.inbox.acknowledged = this.inbox.received;
    }
  }

  /** The connection closed. */
  closed(conn: Connection<M>): void {
    if (this.conn === conn) {
      // Every frame accepted so far may have reached a server; later ones wait offline.
      this.written = this.outbox.sent;
      this.nextReply = undefined;
      this.conn = undefined;
    }
    if (this.pending === conn) this.stopWaiting();
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** The client closes for good: what the session held is reported. @returns the count */
  dispose(): number {
    this.stopWaiting();
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    return this.outbox.clear();
  }

  /** The session is held: frames accepted now are counted. */
  get active(): boolean {
    return this.id !== undefined || this.pending !== undefined;
  }

  private stopWaiting(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    this.pending = undefined;
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

  private end(reason: SessionLostReason): void {
    const id = this.id;
    this.nextReply = undefined;
    // Frames that may have reached a server are given up (they may have been
    // processed: at most once); frames accepted since the last connection closed
    // never left this process, and become the next session's first frames.
    const written = Math.min(Math.max(this.written, this.outbox.acknowledged), this.outbox.sent);
    const unacknowledged = written - this.outbox.acknowledged;
    this.outbox.acknowledge(written);
    for (const index of [...this.requests.keys()]) {
      if (index <= written) this.requests.delete(index);
    }
    const received = this.inbox.received;
    this.id = undefined;
    this.inbox = new Inbox(this.o.ackEvery);
    if (id !== undefined) this.host.lost({ id, reason, unacknowledged, received });
  }

  private control(conn: Connection<M>, frame: ControlFrame): void {
    const p = frame.payload;
    switch (frame.kind) {
      case CONTROL_KIND.welcome: {
        if (this.pending !== conn || typeof p.id !== "string" || typeof p.received !== "number")
          return;
        this.stopWaiting();
        this.unanswered = 0;
        if (this.id !== undefined && this.id !== p.id) this.end("unknown");
        if (p.resumed !== true) this.renumber();
        if (!this.outbox.acknowledge(p.received)) {
          conn.destroy();
          return;
        }
        this.id = p.id;
        this.proposed = undefined;
        this.conn = conn;
        this.host.granted(conn, p.id, p.resumed === true, this.resend(conn.protocol));
        return;
      }
      case CONTROL_KIND.lost: {
        if (typeof p.id === "string" && p.id === this.id) {
          const reason = REASONS.find((r) => r === p.reason) ?? "unknown";
          this.end(reason);
        }
        return;
      }
      case CONTROL_KIND.refuse:
        if (this.pending !== conn) return;
        this.stopWaiting();
        this.end("limit");
        this.proposed = undefined;
        this.outbox.clear();
        this.host.unavailable(conn, "refused");
        return;
      case CONTROL_KIND.ack:
        if (this.conn !== conn || typeof p.received !== "number") return;
        if (!this.outbox.acknowledge(p.received)) conn.destroy();
        else {
          // Replies travel before the ack that covers their request: forget the rest.
          for (const index of this.requests.keys()) {
            if (index > p.received) break;
            this.requests.delete(index);
          }
        }
        return;
      case CONTROL_KIND.reply:
        if (this.conn === conn && typeof p.to === "number") this.nextReply = p.to;
        return;
      default:
        return; // goodbye: the server ends the connection; the client resumes on the next one
    }
  }

  private encode(conn: Connection<M>, kind: number, payload: ControlPayload): M {
    return (conn.protocol.control as NonNullable<typeof conn.protocol.control>).encode(
      kind,
      payload,
    );
  }
}
