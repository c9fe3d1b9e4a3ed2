import { ConnectionLimiter, SharedBuckets, type TokenBucket } from "@taurus/ratelimit";
import { normalizeAddress, type ResolvedPerAddress } from "./per-address-options";

/** A connection let in: its address's shared message bucket, and what to give back on close. */
export interface AddressPass {
  readonly ok: true;
  /** The address's shared message bucket; `undefined` when trusted or unlimited. */
  readonly messages: TokenBucket | undefined;
  /** Gives the slot and the bucket share back; idempotent. */
  release(): void;
}

/** A connection refused by its address's limits. */
export interface AddressRefusal {
  readonly ok: false;
  readonly reason: "rate" | "concurrent";
}

const TRUSTED: AddressPass = Object.freeze({ ok: true, messages: undefined, release: () => {} });

/**
 * The per-address limits of one server: concurrent and new connections per
 * address (a `ConnectionLimiter`), messages per second per address (one
 * shared bucket per address), and the trusted addresses exempt from both.
 *
 * @internal
 */
export class AddressGuard {
  private readonly connections: ConnectionLimiter;
  private readonly messages: SharedBuckets | undefined;

  constructor(private readonly limits: ResolvedPerAddress) {
    this.connections = new ConnectionLimiter({
      perIpRate: limits.ratePerSecond,
      perIpBurst: limits.burst,
      maxPerIp: limits.maxConcurrent,
    });
    this.messages = Number.isFinite(limits.messagesPerSecond)
      ? new SharedBuckets({ rate: limits.messagesPerSecond, burst: limits.messageBurst })
      : undefined;
  }

  /** Whether `address` is exempt from every per-address limit. */
  isTrusted(address: string): boolean {
    const key = normalizeAddress(address);
    return this.limits.trusted.check(key, key.includes(":") ? "ipv6" : "ipv4");
  }

  /** Lets a new connection from `address` in, or says why not. */
  admit(rawAddress: string | undefined): AddressPass | AddressRefusal {
    // A socket whose peer is already gone has no address: nothing to limit.
    if (!rawAddress) return TRUSTED;
    if (this.isTrusted(rawAddress)) return TRUSTED;
    const address = normalizeAddress(rawAddress);
    const decision = this.connections.tryAcquire(address);
    if (!decision.ok) return decision;
    const share = this.messages?.acquire(address);
    let released = false;
    return {
      ok: true,
      messages: share?.bucket,
      release: () => {
        if (released) return;
        released = true;
        decision.release();
        share?.release();
      },
    };
  }
}
