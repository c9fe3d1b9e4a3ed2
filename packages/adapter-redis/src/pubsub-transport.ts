import type { Redis } from "ioredis";
import { quit, type Transport, type TransportHooks } from "./transport";

/**
 * @internal Pub/sub: `PUBLISH`/`SUBSCRIBE`, or with `sharded` the Redis 7
 * sharded pub/sub of Redis Cluster (`SPUBLISH`/`SSUBSCRIBE`). Two connections:
 * Redis reserves a subscribed connection for pub/sub. ioredis resubscribes by
 * itself after a reconnect.
 */
export class PubSubTransport implements Transport {
  readonly connections: ReadonlyArray<readonly [string, Redis]>;
  private readonly names = new Map<string, Buffer>();

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
  }

  async listen(channel: string): Promise<void> {
    const name = this.name(channel);
    await (this.sharded ? this.subscriber.ssubscribe(name) : this.subscriber.subscribe(name));
  }

  unlisten(channel: string): void {
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
    await Promise.all([quit(this.publisher), quit(this.subscriber)]);
  }

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
