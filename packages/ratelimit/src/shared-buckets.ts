import { TokenBucket, type TokenBucketOptions } from "./token-bucket";
import { checkCount } from "./validate";

/** Default number of keys kept by {@link SharedBuckets} before idle ones are forgotten. */
export const DEFAULT_MAX_SHARED_KEYS = 10_000;

/** Options of {@link SharedBuckets}: those of each bucket, and a bound on keys. */
export interface SharedBucketsOptions extends TokenBucketOptions {
  /**
   * Soft cap on keys kept, an integer >= 1: past it, the least recently
   * acquired key without holders is forgotten. Keys with holders are never.
   * @defaultValue {@link DEFAULT_MAX_SHARED_KEYS} (10,000)
   */
  maxKeys?: number;
}

/** A bucket shared by every holder of one key; {@link SharedBucket.release} once done. */
export interface SharedBucket {
  /** The key's bucket: take from it as from any {@link TokenBucket}. */
  readonly bucket: TokenBucket;
  /** Gives the holder's share back. Idempotent. */
  release(): void;
}

interface Entry {
  bucket: TokenBucket;
  holders: number;
}

/**
 * One {@link TokenBucket} per key, shared by everything that holds the key:
 * a limit of messages per second per remote address, say, across all of that
 * address's connections. A key is forgotten once it has no holder and its
 * bucket is full again (a fresh bucket would be the same), so closing every
 * connection and reconnecting does not refill an address's bucket early.
 *
 * @example
 * ```ts
 * const perAddress = new SharedBuckets({ rate: 200, burst: 200 });
 * const share = perAddress.acquire(socket.remoteAddress ?? "");
 * if (!share.bucket.tryTake()) holdOff(share.bucket.delayUntilAvailable());
 * socket.once("close", share.release);
 * ```
 */
export class SharedBuckets {
  /** Soft cap on keys kept. */
  readonly maxKeys: number;
  private readonly options: TokenBucketOptions;
  /** Insertion order is recency order: acquired keys move to the end. */
  private readonly entries = new Map<string, Entry>();

  /**
   * @param options - see {@link SharedBucketsOptions}; the object is not kept or modified
   * @throws `TaurusError` (`code: "INVALID_OPTION"`) naming the offending option
   */
  constructor(options: SharedBucketsOptions = {}) {
    this.maxKeys = checkCount("maxKeys", options.maxKeys ?? DEFAULT_MAX_SHARED_KEYS, false);
    const { maxKeys: _, ...bucketOptions } = options;
    // Validates rate, burst and now once, up front.
    new TokenBucket(bucketOptions);
    this.options = bucketOptions;
  }

  /** Keys kept now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds the bucket of `key`, creating it (full) when the key is new.
   *
   * @param key - what the bucket is shared by (an address)
   * @returns the bucket and its `release`
   */
  acquire(key: string): SharedBucket {
    this.trim();
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      this.makeRoom();
      entry = { bucket: new TokenBucket(this.options), holders: 0 };
    }
    this.entries.set(key, entry);
    entry.holders++;
    const held = entry;
    let released = false;
    return {
      bucket: held.bucket,
      release: () => {
        if (released) return;
        released = true;
        held.holders--;
        if (held.holders === 0 && this.forgettable(held) && this.entries.get(key) === held) {
          this.entries.delete(key);
        }
      },
    };
  }

  private forgettable(entry: Entry): boolean {
    return entry.holders === 0 && entry.bucket.tokens >= entry.bucket.burst;
  }

  /** Drops up to two forgettable keys at the old end. */
  private trim(): void {
    for (let i = 0; i < 2; i++) {
      const first = this.entries.entries().next();
      if (first.done || !this.forgettable(first.value[1])) return;
      this.entries.delete(first.value[0]);
    }
  }

  /** At the cap, forgets the least recently acquired key without holders. */
  private makeRoom(): void {
    if (this.entries.size < this.maxKeys) return;
    for (const [key, entry] of this.entries) {
      if (entry.holders === 0) {
        this.entries.delete(key);
        return;
      }
    }
  }
}
