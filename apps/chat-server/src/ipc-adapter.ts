// The backplane between cluster workers without Redis: worker -> primary -> other workers,
// over node:cluster's IPC channel (advanced serialization: payloads travel as bytes).
// Every message carries its publisher's run and a sequence number per channel, as the Redis
// envelope does, so a worker counts exactly what the relay dropped on the way (`lost`).
import type { Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { TaurusError } from "@taurus/core-conn";
import { SequenceTracker } from "@taurus/server";
import {
  type AdapterStats,
  type BackplaneListener,
  type BackplaneMembership,
  type BroadcastAdapter,
  ChannelMembers,
  createInstanceId,
} from "@taurus/server/adapter";

/** A backplane message on the IPC channel (`tick`: no payload, the publisher's last sequence). */
export interface IpcBackplaneMessage {
  t: "backplane";
  channel: string;
  origin: string;
  run: number;
  seq: number;
  tick?: true;
  payload: Uint8Array;
}

export function isBackplaneMessage(m: unknown): m is IpcBackplaneMessage {
  return typeof m === "object" && m !== null && (m as { t?: unknown }).t === "backplane";
}

/**
 * A worker tells the primary it listens to a channel (its first member there joined) or
 * no longer does (the last left): the relay sends a worker only its channels' messages,
 * so a worker gets the traffic of the rooms it has members in, and no other.
 */
export interface IpcListenMessage {
  t: "listen" | "unlisten";
  channel: string;
}

function isListenMessage(m: unknown): m is IpcListenMessage {
  const t = typeof m === "object" && m !== null ? (m as { t?: unknown }).t : undefined;
  return (
    (t === "listen" || t === "unlisten") && typeof (m as IpcListenMessage).channel === "string"
  );
}

/** Bytes an IPC message is taken to hold (its payload and a fixed allowance for the rest). */
export function ipcSize(m: IpcBackplaneMessage): number {
  return m.payload.byteLength + m.channel.length + m.origin.length + 96;
}

/** How many messages and bytes one IPC sender may have waiting at once. */
export interface IpcBounds {
  maxMessages: number;
  maxBytes: number;
}

/** Ms between ticks of an idle publisher. */
const TICK_INTERVAL = 1000;

/** Messages and bytes handed to an IPC channel and not yet written out; refuses past its bounds. */
class Window {
  messages = 0;
  bytes = 0;
  constructor(private readonly bounds: IpcBounds) {}
  /** Takes `size` bytes; `false` (nothing taken) when that would pass a bound. */
  take(size: number): boolean {
    if (this.messages >= this.bounds.maxMessages || this.bytes + size > this.bounds.maxBytes) {
      return false;
    }
    this.messages++;
    this.bytes += size;
    return true;
  }
  release(size: number): void {
    this.messages--;
    this.bytes -= size;
  }
}

/** A worker's adapter: publishes through the primary, delivers what the primary relays. */
export class IpcAdapter implements BroadcastAdapter {
  readonly instanceId: string;
  private readonly members: ChannelMembers;
  private readonly tracker = new SequenceTracker();
  private readonly run = randomBytes(4).readUInt32BE(0);
  private readonly sequences = new Map<string, number>();
  private readonly window: Window;
  private readonly counts = { published: 0, received: 0, dropped: 0 };
  private readonly ticker: NodeJS.Timeout;
  private closed = false;

  constructor(
    bounds: IpcBounds,
    private readonly channel: NodeJS.Process = process,
    instanceId = createInstanceId(),
  ) {
    this.instanceId = instanceId;
    this.window = new Window(bounds);
    this.members = new ChannelMembers(this.instanceId, {
      forward: (name, payload) => this.forward(name, payload),
      firstJoined: (name) => this.listen("listen", name),
      lastLeft: (name) => {
        this.listen("unlisten", name);
        // Listening again later must not count what was published meanwhile as lost.
        this.tracker.forget(name);
      },
    });
    channel.on("message", this.onMessage);
    this.ticker = setInterval(() => this.tick(), TICK_INTERVAL);
    this.ticker.unref();
  }

  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    if (this.closed) throw new TaurusError("CONNECTION_CLOSED", "adapter is closed");
    return this.members.join(channel, listener);
  }

  /** Publishes on `channel` without listening to it (the primary is not asked to send it here). */
  publish(channel: string, payload: Uint8Array): void {
    if (!this.closed) this.members.publish(channel, payload);
  }

  stats(): AdapterStats {
    return { ...this.counts, lost: this.tracker.lost, duplicates: this.tracker.duplicates };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.ticker);
      this.members.clear();
      this.channel.off("message", this.onMessage);
    }
    return Promise.resolve();
  }

  private forward(channel: string, payload: Uint8Array): void {
    const message: IpcBackplaneMessage = {
      t: "backplane",
      channel,
      origin: this.instanceId,
      run: this.run,
      seq: 0,
      payload,
    };
    const size = ipcSize(message);
    if (this.closed || !this.channel.connected || !this.window.take(size)) {
      this.counts.dropped++; // never numbered: no gap anywhere
      return;
    }
    const seq = (this.sequences.get(channel) ?? 0) + 1;
    this.sequences.set(channel, seq);
    message.seq = seq;
    this.send(message, size, true);
  }

  /** Tells the primary which channels to relay here (control messages are never dropped). */
  private listen(t: IpcListenMessage["t"], channel: string): void {
    if (this.closed || !this.channel.connected) return;
    const message: IpcListenMessage = { t, channel };
    try {
      this.channel.send?.(message, undefined, {}, () => {});
    } catch {
      // The primary is gone: nothing is relayed any more anyway.
    }
  }

  /**
   * While nothing is waiting, tells the others the last number sent on each channel that
   * has a member here (as the Redis adapter does): a channel published on once, for a
   * room or a user with no member here, is not ticked forever.
   */
  private tick(): void {
    if (this.closed || this.window.messages > 0 || !this.channel.connected) return;
    for (const channel of this.members.names()) {
      const seq = this.sequences.get(channel);
      if (seq === undefined) continue;
      const message: IpcBackplaneMessage = {
        t: "backplane",
        channel,
        origin: this.instanceId,
        run: this.run,
        seq,
        tick: true,
        payload: new Uint8Array(0),
      };
      const size = ipcSize(message);
      if (this.window.take(size)) this.send(message, size, false);
    }
  }

  private send(message: IpcBackplaneMessage, size: number, counted: boolean): void {
    const done = (error: Error | null): void => {
      this.window.release(size);
      if (!counted) return;
      // Numbered and lost on the way: the other workers count it as lost.
      if (!error) this.counts.published++;
    };
    try {
      // With a callback, a failed send is reported there, not as an 'error' event.
      this.channel.send?.(message, undefined, {}, done);
    } catch {
      done(new Error("send failed"));
    }
  }

  private readonly onMessage = (m: unknown): void => {
    if (!isBackplaneMessage(m) || m.origin === this.instanceId) return;
    // Relayed before the primary heard that the last member here left: not followed, so
    // that listening again starts afresh (see SequenceTracker.forget).
    if (!this.members.has(m.channel)) return;
    const publisher = `${m.origin}/${m.run}`;
    if (m.tick) {
      this.tracker.tick(m.channel, publisher, m.seq);
      return;
    }
    if (this.tracker.observe(m.channel, publisher, m.seq) < 0) return;
    this.counts.received++;
    this.members.deliver(m.channel, m.payload, m.origin);
  };
}

/** What the relay counted. */
export interface RelayStats {
  /** Messages relayed (each counted once, however many workers got it). */
  relayed: number;
  /** Copies not relayed to a worker because its window was full (it counts them as lost). */
  dropped: number;
  /** Copies that could not be written to a worker (it was exiting). */
  failed: number;
  /** Bytes waiting to be written to the workers now. */
  pendingBytes: number;
  /** Messages waiting to be written to the workers now. */
  pendingMessages: number;
}

/**
 * The primary's half: relays each worker's backplane message to every other worker that
 * listens to its channel (see {@link IpcListenMessage}),
 * holding at most `bounds` (messages and bytes) not yet written for each worker: a
 * worker that stops reading (frozen, or swamped) misses messages, counted here as
 * `dropped` and there as `lost`, instead of growing the primary without bound.
 */
export class IpcRelay {
  private readonly counts = { relayed: 0, dropped: 0, failed: 0 };
  private readonly workers = new Map<Worker, Window>();
  /** The channels each worker listens to. */
  private readonly listening = new Map<Worker, Set<string>>();

  constructor(private readonly bounds: IpcBounds) {}

  add(worker: Worker): void {
    this.workers.set(worker, new Window(this.bounds));
    const channels = new Set<string>();
    this.listening.set(worker, channels);
    worker.on("message", (m: unknown) => {
      if (isListenMessage(m)) {
        if (m.t === "listen") channels.add(m.channel);
        else channels.delete(m.channel);
        return;
      }
      if (!isBackplaneMessage(m)) return;
      if (!m.tick) this.counts.relayed++;
      const size = ipcSize(m);
      for (const [other, window] of this.workers) {
        if (other === worker || !other.isConnected()) continue;
        if (!this.listening.get(other)?.has(m.channel)) continue;
        if (!window.take(size)) {
          if (!m.tick) this.counts.dropped++;
          continue;
        }
        other.send(m, undefined, (error: Error | null) => {
          window.release(size);
          if (error) this.counts.failed++;
        });
      }
    });
    worker.once("exit", () => {
      this.workers.delete(worker);
      this.listening.delete(worker);
    });
  }

  stats(): RelayStats {
    let pendingBytes = 0;
    let pendingMessages = 0;
    for (const window of this.workers.values()) {
      pendingBytes += window.bytes;
      pendingMessages += window.messages;
    }
    return { ...this.counts, pendingBytes, pendingMessages };
  }

  /** How many workers listen to `channel` now. */
  listeners(channel: string): number {
    let n = 0;
    for (const channels of this.listening.values()) if (channels.has(channel)) n++;
    return n;
  }
}
