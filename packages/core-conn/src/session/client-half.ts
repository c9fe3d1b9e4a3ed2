import type { Protocol } from "../protocol";
import { CONTROL_KIND, type Control, type ControlFrame, type ControlPayload } from "./control";
import type { SessionLostInfo, SessionLostReason } from "./events";
import { Inbox, Outbox } from "./outbox";

/**
 * Hellos of a held session left unanswered in a row (each on its own link,
 * `helloTimeout` apart) before the server is taken for one without sessions.
 */
const UNANSWERED_HELLOS = 3;

const REASONS: readonly SessionLostReason[] = ["expired", "overflow", "unknown", "limit", "closed"];

/** The resolved `session` option of a client (every field set). @internal */
export interface ClientSessionSettings {
  /** Milliseconds to wait for the answer to a hello. */
  helloTimeout: number;
  /** Bound of the retransmit buffer, in messages. */
  maxBufferedMessages: number;
  /** Bound of the retransmit buffer, in bytes. */
  maxBufferedBytes: number;
  /** Acknowledge after this many delivered messages... */
  ackEvery: number;
  /** ...or this many milliseconds after one. */
  ackInterval: number;
}

/**
 * What a {@link ClientSessionCore} needs of its client, whose links (`L`) are
 * the Node client's connections or the browser client's WebSockets. @internal
 */
export interface ClientSessionHost<M, L> {
  /** Writes the control message `message` on `link`; `false` when it could not. */
  write(link: L, message: M): boolean;
  /** `link` broke the session protocol (a count the outbox cannot take): close it. */
  violated(link: L, reason: string): void;
  /**
   * The server granted our held session before but left the hello on `link`
   * unanswered for `helloTimeout`: close `link` (`reason` says why), so that
   * the client asks again on a new one.
   */
  retry(link: L, reason: string): void;
  /**
   * The server granted the session on `link`: `resend` are the frames to write
   * first (`replayed` data frames, each request's flag before it).
   */
  granted(link: L, id: string, resumed: boolean, resend: Uint8Array[], replayed: number): void;
  /** No session on `link` (refused, or the server is silent). */
  unavailable(link: L, reason: "refused" | "silent"): void;
  /**
   * The session ended and cannot be resumed: `dropped` are the correlations of
   * the requests given up with it (those whose frames may have reached a server).
   */
  lost(info: SessionLostInfo, dropped: number[]): void;
}

/** 16 random bytes, base64url: the id a client proposes for a new session. */
function newSessionId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A timer that does not keep a Node process alive (browsers have no `unref`). */
function unrefTimer(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(callback, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/**
 * The client's half of a session (see FORMAT.md, control frames), for the
 * Node client and the browser client alike: one hello on each link (the only
 * probe a silent server ever gets), counts of what the client accepted and
 * what it delivered, acknowledgements, and the frames to send again after a
 * resume. The link is whatever the client writes on (`L`); the host writes
 * and closes it.
 *
 * @internal
 */
export class ClientSessionCore<M, L> {
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
  /** The link whose hello waits for an answer. */
  private pending: L | undefined;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** The link the session is granted on. */
  private link: L | undefined;
  /** Requests by the client frame number that carried them: number -> correlation. */
  private readonly requests = new Map<number, number>();
  /** The client frame number the next data frame answers (a `reply` marker came first). */
  private nextReply: number | undefined;
  /** Frames (1-based, as the outbox counts them) that may have been written to a server. */
  private written = 0;
  /** Hellos of a held session left unanswered in a row (see `noAnswer`). */
  private unanswered = 0;
  private readonly control: Control<M>;
  /**
   * The `request` control frame, encoded: written right before each request's
   * frame (also when replayed), so that the server marks its reply.
   */
  readonly flag: Uint8Array;

  /**
   * @param protocol - a protocol with control frames (the option resolver checked it)
   */
  constructor(
    private readonly o: ClientSessionSettings,
    protocol: Protocol<M>,
    private readonly host: ClientSessionHost<M, L>,
  ) {
    this.control = protocol.control as Control<M>;
    this.flag = protocol.encode(this.control.encode(CONTROL_KIND.request));
    this.outbox = new Outbox(o.maxBufferedMessages, o.maxBufferedBytes);
    this.inbox = new Inbox(o.ackEvery);
  }

  /** Whether `link` still waits for the server's answer to the hello. */
  waiting(link: L): boolean {
    return this.pending === link;
  }

  /** Whether the session is granted: replies are matched by their `reply` markers only. */
  get held(): boolean {
    return this.id !== undefined;
  }

  /** Whether a session is held or asked for: frames accepted now are counted. */
  get active(): boolean {
    return this.id !== undefined || this.pending !== undefined;
  }

  /** A new link is open: say hello, wait for the answer (at most `helloTimeout`). */
  start(link: L): void {
    this.link = undefined;
    this.pending = link;
    if (this.id === undefined) this.proposed ??= newSessionId();
    const hello: ControlPayload =
      this.id === undefined
        ? { v: 1, id: this.proposed ?? "", received: 0, fresh: true }
        : { v: 1, id: this.id, received: this.inbox.received };
    this.host.write(link, this.control.encode(CONTROL_KIND.hello, hello));
    this.helloTimer = unrefTimer(() => this.noAnswer(link), this.o.helloTimeout);
  }

  /**
   * No answer to the hello within `helloTimeout`. A server that granted our
   * session before is taken to be slow (a restart under load, a store to
   * reach): the hello is asked again on a new link, up to
   * {@link UNANSWERED_HELLOS} times in a row, before the server is taken for
   * one without sessions.
   */
  private noAnswer(link: L): void {
    if (this.pending !== link) return;
    if (this.id !== undefined && ++this.unanswered < UNANSWERED_HELLOS) {
      this.stopWaiting();
      this.host.retry(
        link,
        `no answer to the session hello within ${this.o.helloTimeout} ms (helloTimeout)`,
      );
      return;
    }
    this.silent(link);
  }

  /**
   * The server does not speak sessions: a data frame arrived on `link` before
   * any answer, or no answer came. A session held until now is lost, and
   * reported with its counts (never silently); what waits goes out on this
   * link, without a session.
   */
  silent(link: L): void {
    if (this.pending !== link) return;
    this.stopWaiting();
    if (this.id !== undefined) this.end("unknown");
    this.withoutSession();
    this.unanswered = 0;
    this.host.unavailable(link, "silent");
  }

  /**
   * Whether the retransmit buffer can hold `frame` now: when it cannot, `send`
   * refuses it (`SEND_QUEUE_FULL`) instead of ending the session, since
   * acknowledgements free room (connected, or after a resume).
   */
  fits(frame: Uint8Array): boolean {
    return this.outbox.fits(frame.length);
  }

  /**
   * The client accepted `frame` for sending while a session is held, or may be
   * (the client is offline, or waits for the answer to a hello): never for a
   * frame written on a link without a session. {@link ClientSessionCore.fits}
   * said it fits; `request` is its correlation when it is a request.
   */
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
    else this.ackTimer ??= unrefTimer(this.ackDue, this.o.ackInterval);
  }

  private readonly ackDue = (): void => {
    this.ackTimer = undefined;
    this.ack();
  };

  /** `link` closed. */
  closed(link: L): void {
    if (this.pending === link) this.stopWaiting();
    if (this.link === link) {
      // Every frame accepted so far may have reached a server; later ones wait offline.
      this.written = this.outbox.sent;
      this.link = undefined;
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
    this.link = undefined;
    return this.outbox.clear();
  }

  /** A control frame from the server on `link`. */
  receive(link: L, frame: ControlFrame): void {
    const p = frame.payload;
    switch (frame.kind) {
      case CONTROL_KIND.welcome: {
        if (this.pending !== link || typeof p.id !== "string" || typeof p.received !== "number")
          return;
        this.stopWaiting();
        this.unanswered = 0;
        if (this.id !== undefined && this.id !== p.id) this.end("unknown");
        if (p.resumed !== true) this.renumber();
        if (!this.outbox.acknowledge(p.received)) {
          this.host.violated(link, "bad welcome count");
          return;
        }
        this.id = p.id;
        this.proposed = undefined;
        this.link = link;
        const frames = this.outbox.unacknowledged();
        this.host.granted(link, p.id, p.resumed === true, this.flagged(frames), frames.length);
        return;
      }
      case CONTROL_KIND.lost:
        if (typeof p.id === "string" && p.id === this.id) {
          this.end(REASONS.find((r) => r === p.reason) ?? "unknown");
        }
        return;
      case CONTROL_KIND.refuse:
        if (this.pending !== link) return;
        this.stopWaiting();
        this.end("limit");
        this.withoutSession();
        this.host.unavailable(link, "refused");
        return;
      case CONTROL_KIND.ack:
        if (this.link !== link || typeof p.received !== "number") return;
        if (!this.outbox.acknowledge(p.received)) this.host.violated(link, "bad ack count");
        else {
          // Replies travel before the ack that covers their request: forget the rest.
          for (const index of this.requests.keys()) {
            if (index > p.received) break;
            this.requests.delete(index);
          }
        }
        return;
      case CONTROL_KIND.reply:
        if (this.link === link && typeof p.to === "number") this.nextReply = p.to;
        return;
      default:
        return; // goodbye: the server ends the link; the client resumes on the next one
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

  /**
   * No session on this link: what waits goes out on it as plain frames, so the
   * retransmit buffer and the requests it numbered are let go, and the next
   * new session gets a new id.
   */
  private withoutSession(): void {
    this.outbox.clear();
    this.requests.clear();
    this.proposed = undefined;
  }

  private stopWaiting(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    this.pending = undefined;
  }

  /**
   * Acknowledges what was delivered. A timer still armed stays armed: it
   * acknowledges what arrives next within `ackInterval` (no later than that
   * after any message), at the cost of one timer per interval instead of one
   * per acknowledgement.
   */
  private ack(): void {
    const link = this.link;
    const inbox = this.inbox;
    if (link === undefined || inbox.acknowledged === inbox.received) return;
    if (
      this.host.write(link, this.control.encode(CONTROL_KIND.ack, { received: inbox.received }))
    ) {
      inbox.acknowledged = inbox.received;
    }
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
   * most once); those accepted since the last link closed never left the
   * client and become the next session's first frames.
   */
  private end(reason: SessionLostReason): void {
    const id = this.id;
    this.nextReply = undefined;
    const out = this.outbox;
    // On the live link of the session (a `lost` on it) everything accepted went out.
    const written =
      this.link !== undefined
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
    this.link = undefined;
    this.inbox = new Inbox(this.o.ackEvery);
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (id !== undefined) this.host.lost({ id, reason, unacknowledged, received }, dropped);
  }
}
