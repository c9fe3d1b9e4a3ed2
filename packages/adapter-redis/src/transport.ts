import type { Redis } from "ioredis";

/** @internal What a transport tells its adapter. */
export interface TransportHooks {
  /** An envelope arrived on `channel` (the name without the prefix). */
  envelope(channel: string, message: Buffer): void;
  /** A command failed in a way worth reporting (the transport carries on). */
  failed(error: unknown, what: string): void;
  /**
   * Settles once the local members can take more (their receivers drained): a
   * transport that reads at its own pace (streams) awaits it between reads.
   */
  ready(): Promise<void>;
  /** Whether the local members asked for time (then `ready()` is worth awaiting). */
  waiting(): boolean;
}

/**
 * @internal How envelopes cross Redis: pub/sub (plain or sharded) or streams.
 * The adapter owns sequencing, queueing and accounting; a transport only
 * moves bytes.
 */
export interface Transport {
  /** Every connection it holds, by role; the backplane is up when all are ready. */
  readonly connections: ReadonlyArray<readonly [role: string, conn: Redis]>;
  /** The connection that publishes. */
  readonly publisher: Redis;
  /** Starts receiving `channel`; resolves once whatever is published after it will arrive. */
  listen(channel: string): Promise<void>;
  /** Stops receiving `channel`. */
  unlisten(channel: string): void;
  /** Publishes on `channel`; resolves once Redis has taken it. */
  publish(channel: string, message: Buffer): Promise<unknown>;
  /** Stops receiving and closes every connection. */
  close(): Promise<void>;
}

/** @internal Closes a connection: politely when it is up, at once otherwise (which also stops reconnecting). */
export async function quit(conn: Redis): Promise<void> {
  if (conn.status === "ready") {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through
    }
  }
  conn.disconnect();
}
