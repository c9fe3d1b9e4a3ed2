import { KIND_MESSAGE, KIND_TICK, seal } from "./envelope";
import { MAX_IN_FLIGHT } from "./options";
import { isReplyError } from "./reply-error";

/** Ms before sending again what failed with its connection, when no "ready" came first. */
const RETRY_PAUSE = 50;

interface Pending {
  channel: string;
  /** The payload, sealed (numbered) only when it is sent. */
  payload: Uint8Array;
  /** The envelope, once sealed: a message sent again keeps its number. */
  message?: Buffer;
}

/** @internal How the outbox reaches Redis. */
export interface OutboxLink {
  /** The publishing connection is ready. */
  ready(): boolean;
  /** Publishes one envelope. */
  send(channel: string, message: Buffer): Promise<unknown>;
  /** Redis refused a publish (an error reply); the message is not sent again. */
  refused(error: unknown): void;
}

/**
 * @internal The publishing half of the adapter: numbers each message per
 * channel when it is sent (so a message dropped before that leaves no gap),
 * keeps at most {@link MAX_IN_FLIGHT} publishes awaiting Redis, queues the
 * rest in order up to `maxQueued`, sends again (same number) what a lost
 * connection failed, and ticks while idle.
 */
export class Outbox {
  /** Publishes Redis acknowledged. */
  published = 0;
  /** Payload bytes of `published`. */
  publishedBytes = 0;
  /** Messages never handed to Redis (queue full, or closed): no number, so no gap anywhere. */
  dropped = 0;
  /** Publishes Redis answered with an error: numbered, so receivers count them as lost. */
  refused = 0;
  private queue: Pending[] = [];
  private retry: Pending[] = [];
  private inFlight = 0;
  private readonly sequences = new Map<string, number>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: Buffer,
    private readonly run: number,
    private readonly maxQueued: number,
    private readonly link: OutboxLink,
  ) {}

  /** Messages waiting to be sent (queued, or to be sent again). */
  get queued(): number {
    return this.queue.length + this.retry.length;
  }

  /** Publishes awaiting Redis's answer. */
  get pending(): number {
    return this.inFlight;
  }

  publish(channel: string, payload: Uint8Array): void {
    if (this.closed) {
      this.dropped++;
      return;
    }
    if (this.queued === 0 && this.inFlight < MAX_IN_FLIGHT && this.link.ready()) {
      this.send({ channel, payload });
    } else if (this.queue.length < this.maxQueued) {
      this.queue.push({ channel, payload });
    } else {
      this.dropped++;
    }
  }

  /** Sends what waits, oldest first, while the connection is ready and the window open. */
  drain(): void {
    while (!this.closed && this.inFlight < MAX_IN_FLIGHT && this.link.ready()) {
      const next = this.retry.shift() ?? this.queue.shift();
      if (!next) return;
      this.send(next);
    }
  }

  /**
   * While idle (nothing waiting, nothing in flight), tells each channel's
   * receivers the last number sent there, so that they count a loss at the
   * end of a burst.
   */
  tick(channels: Iterable<string>): void {
    if (this.closed || this.queued > 0 || this.inFlight > 0 || !this.link.ready()) return;
    for (const channel of channels) {
      const sequence = this.sequences.get(channel);
      if (sequence === undefined) continue;
      const message = seal(this.id, KIND_TICK, this.run, sequence, new Uint8Array(0));
      this.link.send(channel, message).catch(() => {});
    }
  }

  /** Stops: what still waits is dropped (and counted). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.dropped += this.queued;
    this.queue = [];
    this.retry = [];
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drain();
    }, RETRY_PAUSE);
    this.retryTimer.unref();
  }

  private send(item: Pending): void {
    if (!item.message) {
      const sequence = (this.sequences.get(item.channel) ?? 0) + 1;
      this.sequences.set(item.channel, sequence);
      item.message = seal(this.id, KIND_MESSAGE, this.run, sequence, item.payload);
    }
    this.inFlight++;
    this.link.send(item.channel, item.message).then(
      () => {
        this.inFlight--;
        this.published++;
        this.publishedBytes += item.payload.length;
        this.drain();
      },
      (err: unknown) => {
        this.inFlight--;
        if (isReplyError(err)) {
          this.refused++;
          this.link.refused(err);
          this.drain();
        } else if (this.closed) {
          this.dropped++;
        } else {
          // The connection went away with it: sent again, with its number, once back
          // (a "ready" drains), or after a pause if the connection never noticed. Never at
          // once: a connection that refuses every write while still "ready" would spin.
          this.retry.push(item);
          this.retryLater();
        }
      },
    );
  }
}
