/**
 * What a {@link SessionStore} keeps of one server session: the counts of
 * both directions and the server's unacknowledged frames.
 *
 * Counting: `received` is how many of the client's data frames the server has
 * processed (their handler completed); `sent` how many data frames the server
 * sent on the session; `acknowledged` how many of those the client confirmed.
 * `pending` holds the encoded frames `acknowledged + 1 .. sent`, in order.
 */
export interface SessionRecord {
  /** The session id: random, 128 bits, base64url. */
  readonly id: string;
  /** The client's data frames processed by the server. */
  received: number;
  /** The data frames the server sent on the session. */
  sent: number;
  /** The server's data frames the client acknowledged. */
  acknowledged: number;
  /** The encoded frames sent and not yet acknowledged (`sent - acknowledged` of them). */
  pending: Uint8Array[];
  /** The client's address when the session started. */
  readonly address: string;
  /** The connection's identity (issue 14's `identityOf`), as JSON text. @defaultValue none */
  identity?: string;
  /** When the session expires, in ms since the epoch, while no connection holds it; `0` while attached. */
  expiresAt: number;
  /**
   * Reply marks of pending frames: `[frame, to]` when server frame `frame` is
   * the reply to the client's request frame `to`, so that a server resuming
   * the session from the store marks it again on replay. @defaultValue none
   */
  replies?: Array<readonly [frame: number, to: number]>;
}

/**
 * Where a server keeps its sessions. The default is a {@link MemorySessionStore}
 * (sessions die with the process); `@taurus/adapter-redis` has one that
 * survives a restart and is shared by instances behind a load balancer.
 *
 * Every method is async and must not reject for an unknown id (it is a no-op,
 * or `undefined` for `load`). The server calls them in order per session:
 * `create`, then `append`/`acknowledge`/`received`/`detach`/`attach` as
 * traffic goes, and `delete` when the session ends or expires. A shared store
 * must apply one session's writes in that order and settle them in that order
 * (one connection to Redis does): `server.sessionStored` waits on the last
 * `append` only.
 */
export interface SessionStore {
  /**
   * Optional: `false` when the store lives and dies with this process (the
   * in-memory store): the live sessions are then all there is, and the server
   * writes nothing through. Any other value (a store shared by instances or
   * surviving a restart, such as Redis) makes the server write every change
   * through and restore sessions it does not hold from the store.
   * @defaultValue `true` (shared)
   */
  readonly shared?: boolean;
  /**
   * Optional: the most unacknowledged frames the store holds per session (its
   * `append` refuses more). A server whose `sessions.maxBufferedMessages` is
   * larger refuses the store at creation (`INVALID_OPTION`): a refused append
   * would leave a stored session that cannot be resumed.
   */
  readonly maxMessages?: number;
  /** Optional: as {@link SessionStore.maxMessages}, in bytes (checked against `sessions.maxBufferedBytes`). */
  readonly maxBytes?: number;
  /** Stores a new session. */
  create(record: SessionRecord): Promise<void>;
  /** Reads a session; `undefined` when unknown or expired. */
  load(id: string): Promise<SessionRecord | undefined>;
  /**
   * Appends frames the server sent; `sent` is the new total. `replyTo`, when
   * given, is the client request frame that the last of `frames` answers: a
   * store that keeps it in `SessionRecord.replies` lets a request be answered
   * across a server restart (a store that ignores it loses only the marks).
   */
  append(id: string, frames: readonly Uint8Array[], sent: number, replyTo?: number): Promise<void>;
  /** The client confirmed `acknowledged` server frames: drop those from `pending`. */
  acknowledge(id: string, acknowledged: number): Promise<void>;
  /** The server processed `received` client frames (cumulative). */
  received(id: string, received: number): Promise<void>;
  /** No connection holds the session any more: it expires at `expiresAt` (ms since the epoch). */
  detach(id: string, expiresAt: number): Promise<void>;
  /** A connection holds the session again (it does not expire meanwhile). */
  attach(id: string): Promise<void>;
  /** Forgets a session. */
  delete(id: string): Promise<void>;
  /** How many sessions the store holds (expired ones may still count until swept). */
  count(): Promise<number>;
  /**
   * Forgets the sessions whose `expiresAt` is past `now`.
   * @returns the expired records, for the `sessionLost` reports
   */
  expire(now: number): Promise<SessionRecord[]>;
}

/**
 * The default session store: a map in this process. Sessions do not survive
 * a restart: a client resuming one afterwards learns it was lost
 * (`sessionLost`, reason `"unknown"`).
 */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  /** `false` unless constructed with `{ shared: true }`: see {@link SessionStore.shared}. */
  readonly shared: boolean;

  /**
   * @param options - `shared: true` makes servers treat this store as shared (write
   *   through, restore from it), as a Redis store is: for tests of restarts and of
   *   several servers in one process, without Redis. Default: not shared.
   */
  constructor(options: { shared?: boolean } = {}) {
    this.shared = options.shared === true;
  }

  /** Stores a new session. */
  async create(record: SessionRecord): Promise<void> {
    this.records.set(record.id, record);
  }

  /** Reads a session; `undefined` when unknown or expired. */
  async load(id: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    if (record.expiresAt !== 0 && record.expiresAt <= Date.now()) return undefined;
    return record;
  }

  /** Appends sent frames. */
  async append(
    id: string,
    frames: readonly Uint8Array[],
    sent: number,
    replyTo?: number,
  ): Promise<void> {
    const record = this.records.get(id);
    if (record === undefined) return;
    for (const frame of frames) record.pending.push(frame);
    record.sent = sent;
    if (replyTo !== undefined) {
      if (record.replies === undefined) record.replies = [];
      record.replies.push([sent, replyTo]);
    }
  }

  /** Drops acknowledged frames. */
  async acknowledge(id: string, acknowledged: number): Promise<void> {
    const record = this.records.get(id);
    if (record === undefined || acknowledged <= record.acknowledged) return;
    record.pending.splice(0, Math.min(record.pending.length, acknowledged - record.acknowledged));
    record.acknowledged = acknowledged;
    if (record.replies !== undefined) {
      record.replies = record.replies.filter(([frame]) => frame > acknowledged);
    }
  }

  /** Records the processed count. */
  async received(id: string, received: number): Promise<void> {
    const record = this.records.get(id);
    if (record !== undefined && received > record.received) record.received = received;
  }

  /** Starts the expiry clock. */
  async detach(id: string, expiresAt: number): Promise<void> {
    const record = this.records.get(id);
    if (record !== undefined) record.expiresAt = expiresAt;
  }

  /** Stops the expiry clock. */
  async attach(id: string): Promise<void> {
    const record = this.records.get(id);
    if (record !== undefined) record.expiresAt = 0;
  }

  /** Forgets a session. */
  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  /** How many sessions are held. */
  async count(): Promise<number> {
    return this.records.size;
  }

  /** Forgets expired sessions. */
  async expire(now: number): Promise<SessionRecord[]> {
    const gone: SessionRecord[] = [];
    for (const record of this.records.values()) {
      if (record.expiresAt !== 0 && record.expiresAt <= now) gone.push(record);
    }
    for (const record of gone) this.records.delete(record.id);
    return gone;
  }
}
