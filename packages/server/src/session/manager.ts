import { randomBytes } from "node:crypto";
import {
  CONTROL_KIND,
  type Connection,
  type ControlFrame,
  type ControlPayload,
  Inbox,
  Outbox,
  type SessionInfo,
  type SessionLostInfo,
  type SessionLostReason,
} from "@taurus/core-conn";
import { IDENTITY } from "../admission";
import type { Session as Runner } from "../session";
import type { ResolvedSessionOptions } from "./options";
import { setSessionOf } from "./session-of";
import { MemorySessionStore } from "./store";

/** What the manager tells the server. @internal */
export interface SessionEvents<M> {
  started(info: SessionInfo, conn: Connection<M>): void;
  resumed(info: SessionInfo, conn: Connection<M>): void;
  lost(info: SessionLostInfo): void;
}

/** One live server session. @internal */
class Live<M> {
  conn: Connection<M> | undefined;
  runner: Runner<M> | undefined;
  readonly outbox: Outbox;
  readonly inbox: Inbox;
  ackTimer: NodeJS.Timeout | undefined;
  expiry: NodeJS.Timeout | undefined;
  ended = false;
  admitted = false;
  identity: unknown;

  constructor(
    readonly id: string,
    readonly address: string,
    o: ResolvedSessionOptions,
  ) {
    this.outbox = new Outbox(o.maxBufferedMessages, o.maxBufferedBytes);
    this.inbox = new Inbox(o.ackEvery);
  }
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

  constructor(
    private readonly o: ResolvedSessionOptions,
    private readonly events: SessionEvents<M>,
  ) {}

  /** Sessions held (attached or waiting for their client). */
  get size(): number {
    return this.live.size;
  }

  /** Watches a new connection: its hello, if any, starts or resumes a session. */
  watch(conn: Connection<M>, runner: Runner<M>): void {
    let live: Live<M> | undefined;
    conn.attachSession({
      sent: (frame) => {
        if (live === undefined || live.conn !== conn) return;
        if (!live.outbox.push(frame)) this.end(live, "overflow", true);
      },
      sendAfterClose: (message) => {
        if (live === undefined || live.ended) return false;
        const frame = conn.protocol.encode(message);
        if (live.conn !== undefined && live.conn !== conn && live.conn.state === "open") {
          live.conn.send(message);
          return true;
        }
        if (!live.outbox.push(frame)) this.end(live, "overflow", false);
        return true;
      },
      control: (frame) => {
        if (frame.kind === CONTROL_KIND.hello) {
          if (live !== undefined) return; // one hello per connection
          live = this.hello(conn, runner, frame);
        } else if (frame.kind === CONTROL_KIND.ack && live !== undefined && live.conn === conn) {
          const count = frame.payload.received;
          if (typeof count !== "number" || !live.outbox.acknowledge(count)) {
            conn.close();
          }
        }
      },
    });
    conn.once("close", () => {
      if (live !== undefined && live.conn === conn) this.detach(live);
    });
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
    const dies = this.o.store instanceof MemorySessionStore;
    for (const live of [...this.live.values()]) {
      clearTimeout(live.expiry);
      clearTimeout(live.ackTimer);
      if (dies) this.end(live, "closed", false);
      else {
        live.ended = true;
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

  private hello(conn: Connection<M>, runner: Runner<M>, frame: ControlFrame): Live<M> | undefined {
    const { id, received } = frame.payload;
    if (typeof id === "string") {
      const live = this.live.get(id);
      if (live !== undefined && !live.ended && typeof received === "number") {
        return this.resume(live, conn, runner, received);
      }
      conn.sendControl(
        this.control(conn, CONTROL_KIND.lost, { id, reason: "unknown", received: 0 }),
      );
    }
    const address = conn.remoteAddress ?? "";
    if (
      this.live.size >= this.o.maxSessions ||
      (this.perAddress.get(address) ?? 0) >= this.o.maxSessionsPerAddress
    ) {
      conn.sendControl(this.control(conn, CONTROL_KIND.refuse, { reason: "limit" }));
      return undefined;
    }
    const live = new Live<M>(randomBytes(16).toString("base64url"), address, this.o);
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
      .catch(() => undefined);
    this.bind(live, conn, runner);
    conn.sendControl(
      this.control(conn, CONTROL_KIND.welcome, { id: live.id, received: 0, resumed: false }),
    );
    this.events.started({ id: live.id, resumed: false, replayed: 0 }, conn);
    return live;
  }

  private resume(
    live: Live<M>,
    conn: Connection<M>,
    runner: Runner<M>,
    received: number,
  ): Live<M> | undefined {
    if (!live.outbox.acknowledge(received)) {
      conn.close();
      return undefined;
    }
    clearTimeout(live.expiry);
    live.expiry = undefined;
    const old = live.conn;
    const oldRunner = live.runner;
    live.conn = undefined;
    conn.pause();
    // The old connection stops delivering now; its handler in flight completes
    // (and is counted) before the new connection is served.
    if (old !== undefined && old.state !== "closed") old.close();
    const ready = (oldRunner?.idle() ?? Promise.resolve()).then(() => {
      if (live.ended || conn.state !== "open") return;
      // The session keeps the connection's admission and identity (issue 14).
      if (old !== undefined) this.remember(live, old, oldRunner);
      if (live.admitted) {
        if (live.identity !== undefined) conn.attributes.set(IDENTITY, live.identity);
        runner.admitted();
      }
      this.bind(live, conn, runner);
      conn.sendControl(
        this.control(conn, CONTROL_KIND.welcome, {
          id: live.id,
          received: live.inbox.received,
          resumed: true,
        }),
      );
      const frames = live.outbox.unacknowledged();
      // Replayed frames are already counted: send them around the link.
      live.conn = undefined;
      for (const f of frames) conn.sendEncoded(f);
      live.conn = conn;
      void this.o.store.attach(live.id).catch(() => undefined);
      conn.resume();
      this.events.resumed({ id: live.id, resumed: true, replayed: frames.length }, conn);
    });
    void ready;
    return live;
  }

  private bind(live: Live<M>, conn: Connection<M>, runner: Runner<M>): void {
    live.conn = conn;
    live.runner = runner;
    runner.delivery = {
      before: () => setSessionOf(conn, live.id, live.inbox.received + 1),
      after: () => {
        const due = live.inbox.processed();
        void this.o.store.received(live.id, live.inbox.received).catch(() => undefined);
        if (due) this.ack(live);
        else if (live.ackTimer === undefined) {
          live.ackTimer = setTimeout(() => this.ack(live), this.o.ackInterval);
          live.ackTimer.unref();
        }
      },
    };
  }

  private ack(live: Live<M>): void {
    clearTimeout(live.ackTimer);
    live.ackTimer = undefined;
    const conn = live.conn;
    if (conn === undefined || live.inbox.acknowledged === live.inbox.received) return;
    if (conn.sendControl(this.control(conn, CONTROL_KIND.ack, { received: live.inbox.received }))) {
      live.inbox.acknowledged = live.inbox.received;
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
    void this.o.store.detach(live.id, expiresAt).catch(() => undefined);
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
      conn.close();
    }
    this.forget(live);
    this.events.lost({ id: live.id, reason, unacknowledged, received: live.inbox.received });
  }

  private forget(live: Live<M>): void {
    live.ended = true;
    this.live.delete(live.id);
    const n = (this.perAddress.get(live.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(live.address);
    else this.perAddress.set(live.address, n);
    void this.o.store.delete(live.id).catch(() => undefined);
  }
}
