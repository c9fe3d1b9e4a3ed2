import { randomBytes } from "node:crypto";

/** Default channel a server joins on its backplane adapter: `"taurus"`. */
export const DEFAULT_BACKPLANE_CHANNEL = "taurus";

/**
 * Called by an adapter with a payload another member of the channel
 * published: a member elsewhere in this process, or on another instance.
 * A listener must not throw; an adapter catches and reports what it throws.
 *
 * A listener may return a promise when its receivers need time before they
 * can take more (a server returns one while some of its connections' send
 * queues are over half full; it settles once they drained, closed, or a
 * bounded wait passed). An adapter that reads at its own pace (a durable
 * stream) reads on only once the promises of a batch settle; one that is
 * pushed to (pub/sub) cannot wait, and ignores them.
 *
 * @param payload - the neutral bytes as published (do not modify them: other members read the same bytes)
 * @param origin - the instance id of the publisher
 * @returns anything; a `Promise` is taken to settle once the listener can take more (it
 *   should never reject; a rejection counts as settled)
 */
export type BackplaneListener = (payload: Uint8Array, origin: string) => unknown;

/** One member's place in a channel of a {@link BroadcastAdapter}, as returned by `join`. */
export interface BackplaneMembership {
  /**
   * Sends `payload` to every other member of the channel: the other members
   * in this process (synchronously) and every member on the other instances.
   * Never throws: what the adapter cannot deliver it counts as `dropped`.
   */
  publish(payload: Uint8Array): void;
  /** Leaves the channel; idempotent. */
  leave(): void;
}

/** What an adapter counted since it was created. */
export interface AdapterStats {
  /** Messages this instance published to the other instances (for Redis: acknowledged by Redis). */
  published: number;
  /** Messages received from other instances (each counted once, however many local members got it). */
  received: number;
  /** Messages this instance could not publish (backplane away and queue full, or refused). */
  dropped: number;
  /**
   * Messages other instances published on a channel joined here that never
   * arrived (gaps in their sequence numbers, each missing message counted
   * once). Absent when the adapter cannot tell.
   */
  lost?: number;
  /** Copies of messages already delivered here, dropped (a publisher's retry). Absent when the adapter cannot tell. */
  duplicates?: number;
  /**
   * `received` under the name every Taurus stats object shares (a
   * connection's, a client's, a server's). Optional until `received` goes.
   */
  messagesIn?: number;
  /** `published` under the shared name (see `messagesIn`). Optional until `published` goes. */
  messagesOut?: number;
}

/**
 * The backplane contract: how one broadcast reaches every server instance.
 * An adapter carries opaque bytes on named channels between instances
 * (processes, or machines); it never looks inside them. Every instance has an
 * id, stamped on what it publishes, so no instance delivers its own message
 * twice. Several servers in one process (say one per protocol) share one
 * adapter: each joins the channel, and a message one publishes goes to the
 * others in the process and to every member on the other instances.
 *
 * Implementations: {@link createLocalAdapter} (one process, the default
 * behaviour), `@taurus/adapter-redis` (Redis pub/sub between processes and
 * machines), or your own.
 */
export interface BroadcastAdapter {
  /** This instance's id, unique among the instances sharing the backplane. */
  readonly instanceId: string;
  /**
   * Joins a channel: `listener` gets what the other members publish on it.
   *
   * @param channel - the channel (room) name
   * @param listener - called once per message another member published
   * @returns the membership, to publish and to leave
   * @throws `TaurusError` `CONNECTION_CLOSED` once the adapter is closed
   */
  join(channel: string, listener: BackplaneListener): BackplaneMembership;
  /**
   * Publishes `payload` on `channel` without joining it (a server sending to a room it has
   * no member in): every member here and on the other instances gets it. Optional: without
   * it, a server joins the channel for the one message and leaves it again.
   * Never throws: what the adapter cannot deliver it counts as `dropped`.
   */
  publish?(channel: string, payload: Uint8Array): void;
  /** What the adapter counted: published, received, dropped. */
  stats(): AdapterStats;
  /** Leaves every channel and releases the adapter's resources; idempotent. */
  close(): Promise<void>;
}

/**
 * How a server's messages become neutral bytes for the backplane and back,
 * so that servers of different protocols can share a channel: each decodes
 * the neutral bytes and re-encodes them for its own protocol.
 *
 * @typeParam M - the message type of the server's protocol
 */
export interface BackplaneCodec<M> {
  /** A message as neutral bytes; a throw is reported as `INVALID_MESSAGE`. */
  encode(message: M): Uint8Array;
  /** Neutral bytes as a message; a throw is reported to `onError` as `MALFORMED_BODY`. */
  decode(payload: Uint8Array): M;
}

/** The `backplane` option of a server: where its broadcasts also go. */
export interface BackplaneOptions<M> {
  /** The adapter, which the server joins but never closes (its owner does). */
  adapter: BroadcastAdapter;
  /** How messages become neutral bytes and back. */
  codec: BackplaneCodec<M>;
  /** The channel to join. @defaultValue {@link DEFAULT_BACKPLANE_CHANNEL} (`"taurus"`) */
  channel?: string;
}

/**
 * A new random instance id: 12 hex digits.
 *
 * @returns the id
 */
export function createInstanceId(): string {
  return randomBytes(6).toString("hex");
}
