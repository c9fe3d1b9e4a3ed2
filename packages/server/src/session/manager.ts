import { randomBytes } from "node:crypto";
import {
  CONTROL_KIND,
  type Connection,
  type ControlFrame,
  type ControlPayload,
  Inbox,
  type MemoryBudget,
  Outbox,
  type SessionInfo,
  type SessionLostInfo,
  type SessionLostReason,
  TaurusError,
} from "@taurus/core-conn";
import { IDENTITY } from "../admission";
import type { Session as Runner } from "../session";
import { Greeting } from "./greeting";
import type { ResolvedSessionOptions } from "./options";
import { ReplyMarks, type ReplyScope, replyScope, sequenceOf } from "./replies";
import { sessionEntry } from "./session-of";
import type { SessionRecord } from "./store";

/** What the manager tells the server. @internal */
export interface SessionEvents<M> {
  started(info: SessionInfo, conn: Connection<M>): void;
  /** `previous`: the connection it resumed from, when it was in this process. */
  resumed(info: SessionInfo, conn: Connection<M>, previous: Connection<M> | undefined): void;
  lost(info: SessionLostInfo): void;
  /** The session moved from `previous` to `conn` (a resume in this process): `conn` takes its rooms. */
  moved(previous: Connection<M>, conn: Connection<M>): void;
  /** `conn`, closed, no longer stands for a session (it ended). */
  released(conn: Connection<M>): void;
}

const noop = (): void => undefined;

/** Most milliseconds between two sweeps of a shared store's expired sessions: 10 s. */
const SWEEP_INTERVAL = 10_000;

/** One live server session. @internal */
class Live<M> {
  conn: Connection<M> | undefined;
  /** The last connection bound to it (closed while the client is away). */
  last: Connection<M> | undefined;
  /**
   * The connection of the latest resume, while it waits for the old handler and
   * the store: a newer resume closes it, and only the latest is answered.
   */
  resuming: Connection<M> | undefined;
  /** The last frame (outbox number) written to `conn`. */
  written = 0;
  /**
   * The connection being caught up (a replay, frames held during the handshake):
   * frames sent meanwhile join the outbox, and the pump writes them in order.
   */
  pumping: Connection<M> | undefined;
  /** The pump is writing: the connection's hooks let its frames through. */
  writing = false;
  /** The client flagged its next data frame as a request (`request` control frame). */
  requestNext = false;
  /** The data frame being handled is a request: its reply is marked. */
  requestNow = false;
  /** Runs once the pump has caught up. */
  caughtUp: (() => void) | undefined;
  runner: Runner<M> | undefined;
  readonly outbox: Outbox;
  readonly inbox: Inbox;
  ackTimer: NodeJS.Timeout | undefined;
  expiry: NodeJS.Timeout | undefined;
  ended = false;
  admitted = false;
  identity: unknown;
  /** The received count the store holds (a shared store); acks never pass it. */
  durable = 0;
  /** The store's last received-count write (a resume waits for it). */
  storing: Promise<void> = Promise.resolve();
  /**
   * The store's last write of a sent frame (a shared store applies a session's
   * writes in order): once it settles, every frame kept so far was written.
   */
  appended: Promise<void> = Promise.resolve();
  /** A write of a sent frame to the shared store failed: the store lacks a frame. */
  appendFailed = false;
  /** Whether the store has this session's admission (a shared store). */
  admissionStored = false;
  /** Which sent frames are replies to requests (item 6). */
  readonly replies = new ReplyMarks();
  /** The retransmit buffer's bytes in the server's memory budget. */
  readonly account: ReturnType<MemoryBudget["open"]>;

  /** `evict` ends the session when the memory budget takes it back. */
  constructor(
    readonly id: string,
    readonly address: string,
    o: ResolvedSessionOptions,
    budget: MemoryBudget,
    evict: (live: Live<M>) => void,
  ) {
    this.outbox = new Outbox(o.maxBufferedMessages, o.maxBufferedBytes);
    this.inbox = new Inbox(o.ackEvery);
    this.account = budget.open({ destroy: () => evict(this) });
  }
}

/**
 * A session id a client may propose: 22 to 64 base64url characters (16 random
 * bytes make 22). Shorter ones are refused: the id is the session's only secret.
 */
const PROPOSED_ID = /^[A-Za-z0-9_-]{22,64}$/;

/** A connection's slot: the session it serves, and what its close does (set by `watch`). */
interface Bound<M> {
  live: Live<M> | undefined;
  closed: (() => void) | undefined;
}

/**
 * The server's sessions: answers hellos, counts both directions, replays on
 * resume, expires detached sessions after the resume window, and reports
 * every session that cannot be resumed. See docs/DELIVERY.md.
 *
 * @internal
 */
export class SessionManager<M> {
  private readonly live = new Map<string, Live<M>>();
  private readonly perAddress = new Map<string, number>();
  /** Connections whose client's hello is not answered yet: what the server sends waits. */
  private readonly greetings = new Map<Connection<M>, Greeting<M>>();
  /**
   * The session each connection serves (set when the session is bound to it), in
   * a slot that the connection's hooks hold: no lookup per message.
   */
  private readonly bound = new WeakMap<Connection<M>, Bound<M>>();
  /**
   * Whether a request's handler ever ran in a reply scope: until then, no send
   * is a reply, and sends skip the scope lookup.
   */
  private scoped = false;

  /**
   * Whether the store is shared (not the in-memory one): only then are frames
   * and acknowledgements written through (the live session holds them anyway).
   */
  private readonly shared: boolean;

  constructor(
    private readonly o: ResolvedSessionOptions,
    private readonly events: SessionEvents<M>,
    /** The server's memory budget: each session's buffer is counted in it. */
    private readonly budget: MemoryBudget,
  ) {
    this.shared = o.store.shared !== false;
    if (this.shared) {
      // Sessions detached in the shared store that nobody resumed (their server died): report them.
      this.sweeper = setInterval(() => this.sweep(), Math.min(o.resumeWindow, SWEEP_INTERVAL));
      this.sweeper.unref();
    }
  }

  /** Timer of {@link SessionManager.sweep}, with a shared store. */
  private sweeper: NodeJS.Timeout | undefined;

  /**
   * Takes the sessions of the shared store whose resume window passed and
   * that this process does not hold (a process holding one reports it
   * itself): each is reported lost, `"expired"`, by the one instance that
   * took it.
   */
  private sweep(): void {
    this.o.store.expire(Date.now()).then((records) => {
      for (const r of records) {
        if (this.live.has(r.id)) continue;
        this.events.lost({
          id: r.id,
          reason: "expired",
          unacknowledged: r.sent - r.acknowledged,
          received: r.received,
        });
      }
    }, noop);
  }

  /** Watches a new connection: its hello, if any, starts or resumes a session. */
  watch(conn: Connection<M>, runner: Runner<M>): void {
    // The session bound to this connection (set by `bind`, also while a hello is answered).
    const slot: Bound<M> = { live: undefined, closed: undefined };
    this.bound.set(conn, slot);
    const current = (): Live<M> | undefined => slot.live;
    let greeted = false;
    const greeting = new Greeting(
      conn,
      this.o.helloWait,
      this.o.maxBufferedMessages,
      this.o.maxBufferedBytes,
      (held) => {
        this.greetings.delete(conn);
        this.writeOut(conn, held);
      },
    );
    this.greetings.set(conn, greeting);
    conn.attachSession({
      // Checked on every send: no allocation unless the frame is diverted.
      take: (message) =>
        this.diverts(slot.live, conn, greeting) &&
        this.divert(slot.live, greeting, conn.protocol.encode(message)),
      takeEncoded: (frame) =>
        this.diverts(slot.live, conn, greeting) && this.divert(slot.live, greeting, frame),
      arrived: (message) => {
        if (!greeting.holding) return;
        // The first frame is not a hello: a client without sessions (or a Go client).
        if (conn.protocol.control?.decode(message)?.kind !== CONTROL_KIND.hello) this.greeted(conn);
      },
      full: (bytes) => {
        // Connected, a full buffer pushes back on send(); only an away session overflows.
        const live = current();
        // (The pump writes frames the outbox holds already.)
        return (
          live !== undefined && live.conn === conn && !live.writing && !live.outbox.fits(bytes)
        );
      },
      beforeSend: (message) => {
        const live = current();
        if (live === undefined || live.conn !== conn) return;
        const scope = this.replyScopeOf(live, message);
        if (scope === undefined) return;
        // The mark first; the reply is marked only once its mark is queued (the
        // connection queues the frame after it): a refused mark refuses the reply.
        if (!conn.sendControl(this.control(conn, CONTROL_KIND.reply, { to: scope.index }))) {
          throw new TaurusError(
            "SEND_QUEUE_FULL",
            `session ${live.id}: the send queue cannot take the reply's mark`,
          );
        }
        this.marked(live, scope);
      },
      sent: (frame) => {
        const live = current();
        if (live === undefined || live.conn !== conn || live.writing) return;
        this.keep(live, frame, true);
        live.written = live.outbox.sent;
      },
      sendAfterClose: (message) => {
        const live = current();
        if (live === undefined || live.ended) return false;
        const frame = conn.protocol.encode(message);
        if (live.conn !== undefined && live.conn !== conn && live.conn.state === "open") {
          live.conn.send(message);
          return true;
        }
        const scope = this.replyScopeOf(live, message);
        if (scope !== undefined) this.marked(live, scope);
        this.keep(live, frame, false);
        return true;
      },
      sendEncodedAfterClose: (frame) => {
        const live = current();
        if (live === undefined || live.ended) return false;
        if (live.conn !== undefined && live.conn !== conn && live.conn.state === "open") {
          live.conn.sendEncoded(frame);
          return true;
        }
        this.keep(live, frame, false);
        return true;
      },
      control: (frame) => {
        if (frame.kind === CONTROL_KIND.hello) {
          if (greeted) return; // one hello per connection
          greeted = true;
          greeting.answering();
          void this.hello(conn, runner, frame);
          return;
        }
        const live = current();
        if (frame.kind === CONTROL_KIND.request && live !== undefined && live.conn === conn) {
          live.requestNext = true;
          return;
        }
        if (frame.kind === CONTROL_KIND.ack && live !== undefined && live.conn === conn) {
          const count = frame.payload.received;
          if (typeof count !== "number" || !live.outbox.acknowledge(count)) conn.destroy();
          else {
            live.replies.acknowledge(count);
            this.held(live);
            if (this.shared) void this.o.store.acknowledge(live.id, count).catch(noop);
          }
        }
      },
    });
    // Run by `closed`, before the server forgets the connection.
    slot.closed = () => {
      greeting.dispose();
      this.greetings.delete(conn);
      const live = current();
      if (live !== undefined && live.conn === conn) this.detach(live);
    };
  }

  /** `conn` closed: its greeting ends, and the session it served (if any) is away. */
  closed(conn: Connection<M>): void {
    const slot = this.bound.get(conn);
    if (slot?.closed === undefined) return;
    const closed = slot.closed;
    slot.closed = undefined;
    closed();
  }

  /**
   * A fan-out (broadcast, room broadcast) could not queue a frame on `conn`:
   * with `SEND_QUEUE_FULL` (its send queue or its session's buffer is full). Nobody can push back on
   * a fan-out: the session `conn` serves ends as lost (`"overflow"`) and its
   * client is told, rather than missing that frame in silence.
   */
  fanOutRefused(conn: Connection<M>, error: TaurusError): void {
    if (error.code !== "SEND_QUEUE_FULL") return; // a frame too large for every receiver: not this session's
    const live = this.bound.get(conn)?.live;
    if (live !== undefined && live.conn === conn && !live.ended) this.end(live, "overflow", true);
  }

  /**
   * The id of the session `conn` served, when that session waits for its client
   * to come back (`conn` closed, the session not resumed elsewhere nor ended).
   */
  awaiting(conn: Connection<M>): string | undefined {
    const live = this.bound.get(conn)?.live;
    if (live === undefined || live.ended || live.last !== conn) return undefined;
    return live.conn === undefined || live.conn === conn ? live.id : undefined;
  }

  /**
   * Whether every frame sent so far on the session of `conn` is in the shared
   * store, once the store's writes of them have settled.
   *
   * @returns `true` once stored; `false` without a shared store, without a
   *   session on `conn`, when the session ended, or when a write failed
   */
  async stored(conn: Connection<M>): Promise<boolean> {
    if (!this.shared) return false;
    // Frames held while the hello is answered join the session (and are written) once it is.
    await this.greetings.get(conn)?.released();
    const live = this.bound.get(conn)?.live;
    if (live === undefined) return false;
    await live.appended;
    return !live.appendFailed && !live.ended;
  }

  /** The client's first frame is not a hello, or it was refused: what waited goes out as is. */
  private greeted(conn: Connection<M>): void {
    const greeting = this.greetings.get(conn);
    this.greetings.delete(conn);
    if (greeting !== undefined) this.writeOut(conn, greeting.release());
  }

  /** Writes frames held for a connection without a session. */
  private writeOut(conn: Connection<M>, held: Uint8Array[]): void {
    if (conn.state !== "open") return;
    try {
      for (const frame of held) conn.sendEncoded(frame);
    } catch (err) {
      // The queue cannot take what was accepted: close rather than drop silently.
      conn.destroy(err as TaurusError);
    }
  }

  /**
   * Whether a frame sent on `conn` now is diverted: a hello is unanswered
   * (held), or the session is being caught up on it (kept in the outbox,
   * written by the pump).
   */
  private diverts(live: Live<M> | undefined, conn: Connection<M>, greeting: Greeting<M>): boolean {
    if (greeting.holding) return true;
    return live !== undefined && live.pumping === conn && !live.writing;
  }

  /** Takes a frame {@link SessionManager.diverts} said is diverted. @returns `true` */
  private divert(live: Live<M> | undefined, greeting: Greeting<M>, frame: Uint8Array): boolean {
    if (greeting.holding) {
      // A resume being answered: what is held joins the session's buffer, within its bounds.
      const { frames, bytes } = greeting.size;
      if (live === undefined || live.outbox.fits(bytes + frame.length, frames + 1)) {
        return greeting.take(frame);
      }
    } else if (live?.outbox.fits(frame.length)) {
      this.keep(live, frame, true);
      return true;
    }
    throw new TaurusError(
      "SEND_QUEUE_FULL",
      `session ${live?.id}: the retransmit buffer is full (${live?.outbox.length} frames unacknowledged)`,
    );
  }

  /** Counts a frame of the session in its outbox (and the shared store). */
  private keep(live: Live<M>, frame: Uint8Array, tell: boolean): void {
    const full = !live.outbox.push(frame);
    live.replies.sent(live.outbox.sent);
    if (full) {
      this.end(live, "overflow", tell);
      return;
    }
    if (this.shared) {
      const sent = live.outbox.sent;
      live.appended = this.o.store
        .append(live.id, [frame], sent, live.replies.replyTo(sent))
        .catch(() => {
          live.appendFailed = true;
        });
    }
    this.held(live); // last: past the budget, this session may be the one ended
  }

  /** The memory budget takes a session's buffer back: the session ends as lost, and is told. */
  private readonly evict = (live: Live<M>): void => this.end(live, "overflow", true);

  /** The session's buffer changed: tells the memory budget (past it, the largest holder is ended). */
  private held(live: Live<M>): void {
    if (!live.ended) live.account.set(live.outbox.bytes);
  }

  private unaccount(live: Live<M>): void {
    this.budget.release(live.account);
  }

  /**
   * Starts catching `conn` up: after `written`, every frame of the outbox is
   * written in order, as fast as the connection takes them (on `drain` when
   * its queue is full), with what was held during the handshake after them.
   * Then `caughtUp` runs, and frames are written as they are sent.
   */
  private catchUp(live: Live<M>, conn: Connection<M>, caughtUp: () => void): void {
    const greeting = this.greetings.get(conn);
    this.greetings.delete(conn);
    for (const frame of greeting?.release() ?? []) this.keep(live, frame, true);
    live.pumping = conn;
    live.caughtUp = caughtUp;
    this.pump(live, conn);
  }

  private pump(live: Live<M>, conn: Connection<M>): void {
    while (live.pumping === conn && live.written < live.outbox.sent) {
      if (conn.state !== "open" || live.ended) return;
      const index = live.written + 1;
      const frame = live.outbox.at(index);
      live.written = index;
      if (frame === undefined) continue; // acknowledged meanwhile
      const to = live.replies.replyTo(index);
      if (to !== undefined) conn.sendControl(this.control(conn, CONTROL_KIND.reply, { to }));
      let more: boolean;
      live.writing = true;
      try {
        more = conn.sendEncoded(frame);
      } catch {
        live.written = index - 1; // the queue is full: this frame again, once it drains
        more = false;
      } finally {
        live.writing = false;
      }
      if (!more) {
        conn.once("drain", () => this.pump(live, conn));
        return;
      }
    }
    if (live.pumping !== conn) return;
    live.pumping = undefined;
    const caughtUp = live.caughtUp;
    live.caughtUp = undefined;
    caughtUp?.();
  }

  /**
   * The scope of the request whose handler runs now (item 6), when `message`,
   * about to be sent on `live`, is its reply (nothing marked yet: see {@link SessionManager.marked}).
   */
  private replyScopeOf(live: Live<M>, message: M): ReplyScope | undefined {
    if (!this.scoped) return undefined;
    const scope = replyScope.getStore();
    if (
      scope === undefined ||
      scope.owner !== live ||
      scope.replied ||
      scope.sequence === undefined ||
      sequenceOf(message) !== scope.sequence
    )
      return undefined;
    return scope;
  }

  /** The next frame sent on `live` is the reply of `scope`'s request. */
  private marked(live: Live<M>, scope: ReplyScope): void {
    scope.replied = true;
    live.replies.expect(scope.index);
  }

  /** Tells every session client to resume elsewhere (graceful shutdown). */
  goodbye(): void {
    for (const live of this.live.values()) {
      live.conn?.sendControl(
        this.control(live.conn, CONTROL_KIND.goodbye, { reason: "resume-elsewhere" }),
      );
    }
  }

  /**
   * The server closed. Sessions in a shared store stay there (another
   * instance, or this one restarted, resumes them); those of the in-memory
   * store die with it, and each is reported lost (reason `"closed"`).
   */
  dispose(): void {
    clearInterval(this.sweeper);
    for (const greeting of this.greetings.values()) greeting.dispose();
    this.greetings.clear();
    const dies = !this.shared;
    for (const live of [...this.live.values()]) {
      clearTimeout(live.expiry);
      clearTimeout(live.ackTimer);
      if (dies) this.end(live, "closed", false);
      else {
        live.ended = true;
        this.unaccount(live);
        this.live.delete(live.id);
      }
    }
    this.perAddress.clear();
  }

  private control(conn: Connection<M>, kind: number, payload?: ControlPayload): M {
    return (conn.protocol.control as NonNullable<typeof conn.protocol.control>).encode(
      kind,
      payload,
    );
  }

  private hello(
    conn: Connection<M>,
    runner: Runner<M>,
    frame: ControlFrame,
  ): Live<M> | undefined | Promise<Live<M> | undefined> {
    const { id, received, fresh } = frame.payload;
    if (typeof received === "number" && !isCount(received)) {
      // Not a count of frames (a fraction, past 2^53, negative): a broken or hostile peer,
      // closed as a bad acknowledgement is, before the count reaches a session or the store.
      conn.destroy();
      return undefined;
    }
    if (fresh === true && typeof id === "string" && PROPOSED_ID.test(id)) {
      // A new session under the id the client proposed. Held already: its
      // welcome was lost in a cut, and the client saw nothing of it yet, so
      // the session goes on from the start (resumed: false for the client).
      const live = this.live.get(id);
      if (live !== undefined && !live.ended) return this.resume(live, conn, runner, 0, true);
      if (live === undefined) return this.fresh(conn, runner, id);
    }
    if (typeof id === "string") {
      const live = this.live.get(id);
      if (live !== undefined && !live.ended && typeof received === "number") {
        return this.resume(live, conn, runner, received);
      }
      if (live === undefined && this.shared && typeof received === "number") {
        return this.restore(conn, runner, id, received);
      }
      conn.sendControl(
        this.control(conn, CONTROL_KIND.lost, { id, reason: "unknown", received: 0 }),
      );
    }
    return this.fresh(conn, runner);
  }

  /**
   * A resume of a session this process does not hold, with a shared store:
   * loads it (written by this process before a restart, or by another
   * instance) and resumes it, or answers `lost` when the store has no
   * usable record. The connection delivers nothing meanwhile.
   */
  private async restore(
    conn: Connection<M>,
    runner: Runner<M>,
    id: string,
    received: number,
  ): Promise<Live<M> | undefined> {
    conn.pause();
    let record: SessionRecord | undefined;
    try {
      record = await this.o.store.load(id);
    } catch {
      record = undefined;
    }
    if (conn.state !== "open") return undefined;
    const held = this.live.get(id);
    if (held !== undefined && !held.ended) return this.resume(held, conn, runner, received);
    const consistent =
      record !== undefined &&
      isCount(record.sent) &&
      isCount(record.acknowledged) &&
      isCount(record.received) &&
      record.pending.length === record.sent - record.acknowledged &&
      received >= record.acknowledged;
    if (record === undefined || !consistent) {
      conn.sendControl(
        this.control(conn, CONTROL_KIND.lost, { id, reason: "unknown", received: 0 }),
      );
      const live = this.fresh(conn, runner);
      conn.resume();
      return live;
    }
    const live = new Live<M>(id, record.address, this.o, this.budget, this.evict);
    if (received > record.sent) {
      // The client got frames whose store write had not landed (the process died first):
      // nothing to send again. The store is brought level with the session, or the next
      // restore would find its counts inconsistent (more sent than it holds) and lose it.
      live.outbox.restore(received, received, []);
      void this.o.store
        .create({
          id,
          received: record.received,
          sent: received,
          acknowledged: received,
          pending: [],
          address: record.address,
          ...(record.identity === undefined ? {} : { identity: record.identity }),
          expiresAt: 0,
        })
        .catch(noop);
    } else {
      live.outbox.restore(record.sent, record.acknowledged, record.pending);
      live.replies.restore(record.replies ?? []);
    }
    live.inbox.received = record.received;
    live.inbox.acknowledged = record.received;
    live.durable = record.received;
    if (record.identity !== undefined) {
      // Admitted by the process that stored it: the session keeps its admission and identity.
      live.admitted = true;
      live.admissionStored = true;
      try {
        live.identity = JSON.parse(record.identity) ?? undefined;
      } catch {
        live.identity = undefined;
      }
    }
    this.live.set(id, live);
    this.perAddress.set(live.address, (this.perAddress.get(live.address) ?? 0) + 1);
    this.held(live);
    if (live.ended) {
      // Its stored buffer alone passed the memory budget: ended (reported lost) at once.
      conn.sendControl(
        this.control(conn, CONTROL_KIND.lost, { id, reason: "overflow", received: 0 }),
      );
      const fresh = this.fresh(conn, runner);
      conn.resume();
      return fresh;
    }
    const resumed = this.resume(live, conn, runner, received);
    if (resumed === undefined) {
      // Refused (the connection is closed): this process lets the session go again, as it
      // found it; the store keeps it, detached, for a later resume or for the sweep.
      this.forget(live, false);
      void this.o.store.detach(id, Date.now() + this.o.resumeWindow).catch(noop);
    }
    return resumed;
  }

  /** Starts a new session on `conn`, within the bounds (refused past them). */
  private fresh(conn: Connection<M>, runner: Runner<M>, proposed?: string): Live<M> | undefined {
    const address = conn.remoteAddress ?? "";
    if (
      this.live.size >= this.o.maxSessions ||
      (this.perAddress.get(address) ?? 0) >= this.o.maxSessionsPerAddress
    ) {
      conn.sendControl(this.control(conn, CONTROL_KIND.refuse, { reason: "limit" }));
      this.greeted(conn);
      return undefined;
    }
    const live = new Live<M>(
      proposed ?? randomBytes(16).toString("base64url"),
      address,
      this.o,
      this.budget,
      this.evict,
    );
    this.live.set(live.id, live);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    void this.o.store
      .create({
        id: live.id,
        received: 0,
        sent: 0,
        acknowledged: 0,
        pending: [],
        address,
        expiresAt: 0,
      })
      .catch(noop);
    this.bind(live, conn, runner);
    conn.sendControl(
      this.control(conn, CONTROL_KIND.welcome, { id: live.id, received: 0, resumed: false }),
    );
    // What onConnect sent while the hello was on its way: the session's first frames.
    this.catchUp(live, conn, noop);
    this.events.started({ id: live.id, resumed: false, replayed: 0 }, conn);
    return live;
  }

  private resume(
    live: Live<M>,
    conn: Connection<M>,
    runner: Runner<M>,
    received: number,
    fresh = false,
  ): Live<M> | undefined {
    if (!live.outbox.acknowledge(received)) {
      conn.destroy();
      return undefined;
    }
    // What the client's hello confirms is let go in the store too (as an acknowledgement).
    if (this.shared) void this.o.store.acknowledge(live.id, received).catch(noop);
    clearTimeout(live.expiry);
    live.expiry = undefined;
    const earlier = live.resuming;
    // The connection the session leaves (an earlier resume waiting took it off already).
    const old = live.conn ?? (earlier !== undefined ? live.last : undefined);
    const oldRunner = live.runner;
    live.conn = undefined;
    conn.pause();
    // An earlier resume still waiting loses to this one: its connection closes unanswered.
    live.resuming = conn;
    if (earlier !== undefined && earlier !== conn && earlier.state !== "closed") earlier.destroy();
    // The old connection stops delivering now; its handler in flight completes
    // (and is counted) before the new connection is served.
    if (old !== undefined && old.state !== "closed") old.destroy();
    const idle = oldRunner?.idle() ?? Promise.resolve();
    const ready = idle
      .then(() => live.storing)
      .then(() => this.storeReceived(live))
      .then((stored) => {
        const latest = live.resuming === conn;
        if (latest) live.resuming = undefined;
        if (live.ended) return;
        // The session keeps the connection's admission and identity (issue 14).
        if (old !== undefined) this.remember(live, old, oldRunner);
        if (!latest) return; // a newer resume answers the client
        if (conn.state !== "open") {
          // Cut while it waited: the client is away again, as after any disconnect
          // (a new resume window, then reported lost), unless another connection has it.
          if (live.conn === undefined) this.detach(live);
          return;
        }
        if (!stored) {
          // The store does not hold what was processed, and will not take it: a welcome
          // with its count would make the client send processed frames again (handled
          // twice), one with this process's count a restore could not keep. The session
          // is lost (reported on both sides), and the connection starts a new one.
          conn.sendControl(
            this.control(conn, CONTROL_KIND.lost, {
              id: live.id,
              reason: "unknown",
              received: live.inbox.received,
            }),
          );
          this.end(live, "unknown", false);
          this.fresh(conn, runner);
          conn.resume();
          return;
        }
        clearTimeout(live.expiry);
        live.expiry = undefined;
        if (live.admitted) {
          if (live.identity !== undefined) conn.attributes.set(IDENTITY, live.identity);
          runner.admitted();
        }
        const previous = live.last;
        this.bind(live, conn, runner);
        conn.sendControl(
          this.control(conn, CONTROL_KIND.welcome, {
            id: live.id,
            received: this.shared ? live.durable : live.inbox.received,
            resumed: !fresh,
          }),
        );
        const replayed = live.outbox.length;
        live.replies.acknowledge(live.outbox.acknowledged);
        live.written = live.outbox.acknowledged;
        void this.o.store.attach(live.id).catch(noop);
        this.events.resumed({ id: live.id, resumed: true, replayed }, conn, previous);
        // The replay, then what this connection's onConnect sent, then the rest; the
        // connection reads again once it is caught up.
        this.catchUp(live, conn, () => conn.resume());
      });
    void ready;
    return live;
  }

  /**
   * Brings a shared store's received count level with what this process handled (a
   * write after a message may have failed), before a resume answers with it.
   * @returns whether the store holds it (always, without a shared store)
   */
  private storeReceived(live: Live<M>): boolean | Promise<boolean> {
    const count = live.inbox.received;
    if (!this.shared || live.durable >= count) return true;
    return this.o.store.received(live.id, count).then(
      () => {
        if (count > live.durable) live.durable = count;
        return true;
      },
      () => false,
    );
  }

  private bind(live: Live<M>, conn: Connection<M>, runner: Runner<M>): void {
    const previous = live.last;
    const other = live.conn;
    if (other !== undefined && other !== conn) {
      // One connection serves a session: another one still attached stops now.
      live.conn = undefined;
      if (other.state !== "closed") other.destroy();
    }
    live.conn = conn;
    live.last = conn;
    if (previous !== undefined && previous !== conn) this.events.moved(previous, conn);
    const slot = this.bound.get(conn);
    if (slot === undefined) this.bound.set(conn, { live, closed: undefined });
    else slot.live = live;
    live.runner = runner;
    // What sessionOf reads, from the first message on (one lookup, not one per message).
    let entry: { index: number } | undefined;
    // The handler runner, bound once per session binding (the reply scope takes a function).
    const run = (message: M): boolean => runner.run(message);
    runner.delivery = {
      before: () => {
        entry ??= sessionEntry(conn, live.id);
        entry.index = live.inbox.received + 1;
        live.requestNow = live.requestNext;
        live.requestNext = false;
      },
      // Only a request's handler runs in a reply scope: other messages cost nothing more.
      around: (message) => {
        if (!live.requestNow) return run(message);
        this.scoped = true;
        return replyScope.run(
          {
            owner: live,
            index: live.inbox.received + 1,
            sequence: sequenceOf(message),
            replied: false,
          },
          run,
          message,
        );
      },
      after: () => {
        const due = live.inbox.processed();
        if (this.shared && !live.admissionStored && runner.isAdmitted) {
          this.storeAdmission(live, conn);
        }
        if (this.shared) {
          // Acknowledge only what the store holds: a restart must not forget an acked count.
          const count = live.inbox.received;
          live.storing = this.o.store.received(live.id, count).then(() => {
            if (count > live.durable) live.durable = count;
            if (due) this.ack(live);
            else this.ackLater(live);
          }, noop);
          return;
        }
        // The in-memory store dies with this process: the live session is all there is
        // (no write, and no promise, per message).
        if (due) this.ack(live);
        else this.ackLater(live);
      },
    };
  }

  /**
   * Writes the session's admission and identity (as JSON text) to the shared
   * store, with its state, so that another process resumes it admitted. An
   * identity that is not JSON is not stored: that session is admitted again.
   */
  private storeAdmission(live: Live<M>, conn: Connection<M>): void {
    live.admissionStored = true;
    let identity: string;
    try {
      identity = JSON.stringify(conn.attributes.get(IDENTITY) ?? null);
    } catch {
      return;
    }
    void this.o.store
      .create({
        id: live.id,
        received: live.inbox.received,
        sent: live.outbox.sent,
        acknowledged: live.outbox.acknowledged,
        pending: live.outbox.unacknowledged(),
        address: live.address,
        identity,
        expiresAt: 0,
        ...(live.replies.size === 0 ? {} : { replies: live.replies.entries() }),
      })
      .catch(noop);
  }

  /** Acknowledges within `ackInterval` ms, unless a timer runs already. */
  private ackLater(live: Live<M>): void {
    if (live.ackTimer !== undefined || live.ended) return;
    live.ackTimer = setTimeout(() => {
      live.ackTimer = undefined;
      this.ack(live);
    }, this.o.ackInterval);
    live.ackTimer.unref();
  }

  /**
   * Acknowledges what was processed. A timer still armed stays armed: it
   * acknowledges what arrives next within `ackInterval` (it fires no later
   * than that after any message), at the cost of one timer per interval
   * instead of one per acknowledgement.
   */
  private ack(live: Live<M>): void {
    const conn = live.conn;
    const count = this.shared ? live.durable : live.inbox.received;
    if (conn === undefined || live.inbox.acknowledged >= count) return;
    if (conn.sendControl(this.control(conn, CONTROL_KIND.ack, { received: count }))) {
      live.inbox.acknowledged = count;
    }
  }

  /** Keeps what the session carries over to its next connection: admission and identity. */
  private remember(live: Live<M>, conn: Connection<M>, runner: Runner<M> | undefined): void {
    live.admitted = runner?.isAdmitted === true;
    live.identity = conn.attributes.get(IDENTITY);
  }

  private detach(live: Live<M>): void {
    if (live.conn !== undefined) this.remember(live, live.conn, live.runner);
    live.conn = undefined;
    clearTimeout(live.ackTimer);
    live.ackTimer = undefined;
    if (live.ended) return;
    const expiresAt = Date.now() + this.o.resumeWindow;
    void this.o.store.detach(live.id, expiresAt).catch(noop);
    live.expiry = setTimeout(() => this.end(live, "expired", false), this.o.resumeWindow);
    live.expiry.unref();
  }

  /** The session cannot be resumed: report it, tell the client when connected, forget it. */
  private end(live: Live<M>, reason: SessionLostReason, tell: boolean): void {
    if (live.ended) return;
    live.ended = true;
    clearTimeout(live.expiry);
    clearTimeout(live.ackTimer);
    const unacknowledged = live.outbox.clear();
    const conn = live.conn;
    if (tell && conn !== undefined) {
      conn.sendControl(
        this.control(conn, CONTROL_KIND.lost, {
          id: live.id,
          reason,
          received: live.inbox.received,
        }),
      );
      void conn.close(); // graceful: the lost frame goes out first
    }
    this.forget(live);
    this.events.lost({ id: live.id, reason, unacknowledged, received: live.inbox.received });
  }

  /** Lets `live` go: its slots, its memory, and its stored record unless `deleteStored` is `false`. */
  private forget(live: Live<M>, deleteStored = true): void {
    live.ended = true;
    this.unaccount(live);
    const last = live.last;
    if (last !== undefined && last.state === "closed") this.events.released(last);
    this.live.delete(live.id);
    const n = (this.perAddress.get(live.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(live.address);
    else this.perAddress.set(live.address, n);
    if (deleteStored) void this.o.store.delete(live.id).catch(noop);
  }
}

/** Whether `n` is a count of frames: a safe integer, 0 or more. */
function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
