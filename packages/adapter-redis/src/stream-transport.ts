import type { Redis } from "ioredis";
import { quit, type Transport, type TransportHooks } from "./transport";

/**
 * Most entries one `XREAD` returns: an instance catching up after a stall delivers its
 * backlog in batches this size, one Redis round trip apart, so that its connections' send
 * queues drain in between instead of taking the whole backlog at once.
 */
const READ_COUNT = 100;
/** Ms one `XREAD` blocks for when nothing arrives (a join wakes it sooner with `CLIENT UNBLOCK`). */
const BLOCK = 2000;
/** Ms before reading again after a command failed (not a lost connection: that one waits for Redis). */
const FAILED_PAUSE = 500;
/** The field of a stream entry holding the envelope. */
const FIELD = "m";

type StreamReply = Array<[key: Buffer, entries: Array<[id: Buffer, fields: Buffer[]]>]> | null;

/**
 * @internal Streams: each channel is a capped stream (`XADD ... MAXLEN ~ n`)
 * that this instance reads with `XREAD BLOCK` from the last id it saw, on a
 * connection of its own. Anything added after a channel was joined is read in
 * order, once, whatever happens to the connection in between: a read lost
 * with a connection is sent again (by ioredis) from the same ids.
 */
export class StreamTransport implements Transport {
  readonly connections: ReadonlyArray<readonly [string, Redis]>;
  /** Last id read per channel; `undefined` until its starting point is known. */
  private readonly positions = new Map<string, string | undefined>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private readerId: number | undefined;
  private blocked = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  /** Settles once `close()` is called: the read loop stops waiting on the reader then. */
  private readonly stopped: Promise<undefined>;
  private stop: () => void = () => {};

  constructor(
    readonly publisher: Redis,
    private readonly reader: Redis,
    private readonly maxLen: number,
    private readonly prefix: string,
    private readonly hooks: TransportHooks,
  ) {
    this.connections = [
      ["publishing", publisher],
      ["reading", reader],
    ];
    // A fresh connection has a fresh client id, to wake it with CLIENT UNBLOCK. Sent
    // before ioredis resends the read that was in flight, so its answer comes first.
    reader.on("ready", () => {
      this.readerId = undefined;
      reader.client("ID").then(
        (id) => {
          this.readerId = Number(id);
        },
        () => {},
      );
    });
    this.stopped = new Promise((resolve) => {
      this.stop = () => resolve(undefined);
    });
    this.loop = this.run();
  }

  /**
   * `command`'s result, or `undefined` once the transport is closed. A reader
   * closed while it waits to reconnect never settles the command it holds
   * (ioredis flushes its queues only when a live socket closes), and the loop
   * must not hold `close()` on it.
   */
  private untilClosed<T>(command: Promise<T>): Promise<T | undefined> {
    command.catch(() => {}); // abandoned at close: its rejection is expected
    return Promise.race([command, this.stopped]);
  }

  listen(channel: string): Promise<void> {
    if (this.positions.has(channel) && this.positions.get(channel) !== undefined) {
      return Promise.resolve();
    }
    this.positions.set(channel, undefined);
    const started = new Promise<void>((resolve) => {
      const list = this.waiting.get(channel) ?? [];
      list.push(resolve);
      this.waiting.set(channel, list);
    });
    this.interrupt();
    return started;
  }

  unlisten(channel: string): void {
    this.positions.delete(channel);
    for (const resolve of this.waiting.get(channel) ?? []) resolve();
    this.waiting.delete(channel);
    this.interrupt();
  }

  publish(channel: string, message: Buffer): Promise<unknown> {
    return this.publisher.xadd(
      this.prefix + channel,
      "MAXLEN",
      "~",
      this.maxLen,
      "*",
      FIELD,
      message,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    for (const list of this.waiting.values()) for (const resolve of list) resolve();
    this.waiting.clear();
    this.wake?.();
    // A blocked read would hold a polite QUIT back: cut the reader at once.
    this.reader.disconnect();
    await Promise.all([quit(this.publisher), this.loop]);
  }

  /** Makes the read loop take the channels again: wakes it when idle, unblocks a blocked read. */
  private interrupt(): void {
    if (this.wake) {
      this.wake();
      return;
    }
    if (this.blocked && this.readerId !== undefined && this.publisher.status === "ready") {
      this.publisher.client("UNBLOCK", this.readerId).catch(() => {});
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.positions.size === 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
          continue;
        }
        for (const [channel, id] of this.positions) {
          if (id === undefined) await this.start(channel);
        }
        await this.read();
      } catch (err) {
        this.blocked = false;
        if (this.closed) return;
        this.hooks.failed(err, "stream read");
        await new Promise((resolve) => setTimeout(resolve, FAILED_PAUSE));
      }
    }
  }

  /** A channel's starting point: the stream's last entry now (or its very beginning). */
  private async start(channel: string): Promise<void> {
    const last = (await this.untilClosed(
      this.reader.xrevrange(this.prefix + channel, "+", "-", "COUNT", 1),
    )) as Array<[string, string[]]> | undefined;
    if (last === undefined) return; // closed
    if (!this.positions.has(channel) || this.positions.get(channel) !== undefined) return;
    this.positions.set(channel, last[0]?.[0] ?? "0-0");
    for (const resolve of this.waiting.get(channel) ?? []) resolve();
    this.waiting.delete(channel);
  }

  private async read(): Promise<void> {
    const channels: string[] = [];
    const ids: string[] = [];
    for (const [channel, id] of this.positions) {
      if (id === undefined) continue; // joined meanwhile: started on the next turn
      channels.push(channel);
      ids.push(id);
    }
    if (channels.length === 0) return;
    this.blocked = true;
    const reply = (await this.untilClosed(
      this.reader.xreadBuffer(
        "COUNT",
        READ_COUNT,
        "BLOCK",
        BLOCK,
        "STREAMS",
        ...channels.map((c) => this.prefix + c),
        ...ids,
      ),
    )) as StreamReply | undefined;
    this.blocked = false;
    if (!reply || this.closed) return;
    for (const [key, entries] of reply) {
      const channel = key.toString("utf8").slice(this.prefix.length);
      for (const [id, fields] of entries) {
        // Left meanwhile, or left and joined again (it starts afresh).
        if (this.positions.get(channel) === undefined) break;
        this.positions.set(channel, id.toString("latin1"));
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i]?.toString("latin1") === FIELD) {
            this.hooks.envelope(channel, fields[i + 1] as Buffer);
            break;
          }
        }
        // Deliver on only once local receivers can take more: a backlog after a stall
        // reaches the connections at the pace they drain, not faster than their queues hold.
        if (this.hooks.waiting()) {
          await this.hooks.ready();
          if (this.closed) return;
        }
      }
    }
  }
}
