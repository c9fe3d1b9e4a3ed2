import type { Redis } from "ioredis";
import { quit, type Transport, type TransportHooks } from "./transport";

/**
 * @internal Pub/sub: `PUBLISH`/`SUBSCRIBE`, or with `sharded` the Redis 7
 * sharded pub/sub of Redis Cluster (`SPUBLISH`/`SSUBSCRIBE`). Two connections:
 * Redis reserves a subscribed connection for pub/sub. After a reconnect the
 * transport subscribes again to every channel it listens to (ioredis's own
 * `autoResubscribe` is off: its promises are nobody's, so closing while they
 * were in flight rejected one that no one could catch).
 */
export class PubSubTransport implements Transport {
  readonly connections: ReadonlyArray<readonly [string, Redis]>;
  private readonly names = new Map<string, Buffer>();
  /** The channels listened to: subscribed again after each reconnect. */
  private readonly listening = new Set<string>();
  private connectedOnce = false;
  private closing = false;

  constructor(
    readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly sharded: boolean,
    private readonly prefix: string,
    private readonly hooks: TransportHooks,
  ) {
    this.connections = [
      ["publishing", publisher],
      ["subscribed", subscriber],
    ];
    subscriber.on(sharded ? "smessageBuffer" : "messageBuffer", this.onMessage);
    subscriber.on("ready", this.onReady);
  }

  async listen(channel: string): Promise<void> {
    this.listening.add(channel);
    await this.subscribe(channel);
  }

  unlisten(channel: string): void {
    this.listening.delete(channel);
    const name = this.name(channel);
    const done = this.sharded
      ? this.subscriber.sunsubscribe(name)
      : this.subscriber.unsubscribe(name);
    done.catch((err: unknown) => this.hooks.failed(err, "unsubscribe"));
  }

  publish(channel: string, message: Buffer): Promise<unknown> {
    const name = this.name(channel);
    return this.sharded
      ? this.publisher.spublish(name, message)
      : this.publisher.publish(name, message);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([quit(this.publisher), quit(this.subscriber)]);
  }

  private subscribe(channel: string): Promise<unknown> {
    const name = this.name(channel);
    return this.sharded ? this.subscriber.ssubscribe(name) : this.subscriber.subscribe(name);
  }

  /** The subscribed connection is ready: after a reconnect, every channel again. */
  private readonly onReady = (): void => {
    if (!this.connectedOnce) {
      this.connectedOnce = true; // what `listen` asked for so far goes out with the connection
      return;
    }
    for (const channel of this.listening) {
      this.subscribe(channel).catch((err: unknown) => {
        if (!this.closing) this.hooks.failed(err, "resubscribe");
      });
    }
  };

  private readonly onMessage = (name: Buffer, message: Buffer): void => {
    const full = name.toString("utf8");
    if (!full.startsWith(this.prefix)) return;
    this.hooks.envelope(full.slice(this.prefix.length), message);
  };

  private name(channel: string): Buffer {
    let name = this.names.get(channel);
    if (!name) {
      name = Buffer.from(this.prefix + channel, "utf8");
      this.names.set(channel, name);
    }
    return name;
  }
}
