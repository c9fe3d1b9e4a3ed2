// Names across instances through Redis: a key per name (`taurus:chat:name:<name>`, value
// "<instance> <token>") set with NX and an expiry, refreshed while the name is held and
// deleted when it is let go; a name taken back with its token is announced on a channel so
// that the instance holding the old connection closes it.
import { Redis } from "ioredis";
import { type ClaimResult, type NameDirectory, nameKey } from "./directory";
import { sameToken } from "./identity";

/** Ms a name's key lives without a refresh (an instance that dies frees its names then). */
export const NAME_TTL = 30_000;
const PREFIX = "taurus:chat:name:";
const KICKS = "taurus:chat:name-kicks";
/** Sets KEYS[1] to ARGV[2] (expiring in ARGV[3] ms) only while it is still ARGV[1]. */
const SWAP =
  "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";
/** Deletes KEYS[1] only while it is ARGV[1]. */
const DELETE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
/** Extends KEYS[1] by ARGV[2] ms only while it is ARGV[1]. */
const EXTEND =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";

export class RedisDirectory implements NameDirectory {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  /** The names this instance holds: key -> value in Redis. */
  private readonly mine = new Map<string, string>();
  private readonly kicks: Array<(name: string) => void> = [];
  private readonly timer: NodeJS.Timeout;

  /**
   * @param url - the Redis URL (`--redis`)
   * @param instance - this instance's id (the backplane's)
   * @param onError - told of what Redis refused or could not answer (claims then succeed
   *   here: names stay unique on this instance, not across instances, until Redis is back)
   */
  constructor(
    url: string,
    private readonly instance: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    const options = { commandTimeout: 2000, maxRetriesPerRequest: 1, lazyConnect: false };
    this.redis = new Redis(url, options);
    this.redis.on("error", () => {}); // reported where a command fails
    this.subscriber = new Redis(url, { lazyConnect: false });
    this.subscriber.on("error", () => {});
    this.subscriber.subscribe(KICKS).catch((err: unknown) => this.onError(err));
    this.subscriber.on("message", (_channel: string, message: string) => {
      const [instance, name] = message.split(" ");
      if (instance !== this.instance || name === undefined) return;
      this.mine.delete(name);
      for (const kick of this.kicks) kick(name);
    });
    this.timer = setInterval(() => this.refresh(), NAME_TTL / 3);
    this.timer.unref();
  }

  async claim(name: string, token: string, reclaim?: string): Promise<ClaimResult> {
    const key = nameKey(name);
    const value = `${this.instance} ${token}`;
    try {
      if ((await this.redis.set(PREFIX + key, value, "PX", NAME_TTL, "NX")) === "OK") {
        this.mine.set(key, value);
        return "claimed";
      }
      if (reclaim === undefined) return "taken";
      const current = await this.redis.get(PREFIX + key);
      const [holder = "", held = ""] = (current ?? "").split(" ");
      if (current === null || !sameToken(held, reclaim)) return "taken";
      if ((await this.redis.eval(SWAP, 1, PREFIX + key, current, value, NAME_TTL)) !== 1) {
        return "taken";
      }
      this.mine.set(key, value);
      if (holder !== this.instance) await this.redis.publish(KICKS, `${holder} ${key}`);
      return "reclaimed";
    } catch (err) {
      this.onError(err);
      this.mine.set(key, value);
      return "claimed";
    }
  }

  release(name: string, token: string): void {
    const key = nameKey(name);
    const value = `${this.instance} ${token}`;
    if (this.mine.get(key) !== value) return;
    this.mine.delete(key);
    this.redis.eval(DELETE, 1, PREFIX + key, value).catch((err: unknown) => this.onError(err));
  }

  async has(name: string): Promise<boolean> {
    try {
      return (await this.redis.exists(PREFIX + nameKey(name))) === 1;
    } catch (err) {
      this.onError(err);
      return false;
    }
  }

  onKick(listener: (name: string) => void): void {
    this.kicks.push(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled(
      [...this.mine].map(([key, value]) => this.redis.eval(DELETE, 1, PREFIX + key, value)),
    );
    this.mine.clear();
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  /** Extends every name held here (one round trip). */
  private refresh(): void {
    if (this.mine.size === 0) return;
    const batch = this.redis.pipeline();
    for (const [key, value] of this.mine) batch.eval(EXTEND, 1, PREFIX + key, value, NAME_TTL);
    batch.exec().catch((err: unknown) => this.onError(err));
  }
}
