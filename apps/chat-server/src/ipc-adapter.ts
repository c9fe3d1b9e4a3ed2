// The backplane between cluster workers without Redis: worker -> primary -> other workers,
// over node:cluster's IPC channel (advanced serialization: payloads travel as bytes).
import type { Worker } from "node:cluster";
import { TaurusError } from "@taurus/core-conn";
import {
  type AdapterStats,
  type BackplaneListener,
  type BackplaneMembership,
  type BroadcastAdapter,
  ChannelMembers,
  createInstanceId,
} from "@taurus/server";

/** A backplane message on the IPC channel. */
export interface IpcBackplaneMessage {
  t: "backplane";
  channel: string;
  origin: string;
  payload: Uint8Array;
}

export function isBackplaneMessage(m: unknown): m is IpcBackplaneMessage {
  return typeof m === "object" && m !== null && (m as { t?: unknown }).t === "backplane";
}

/** A worker's adapter: publishes through the primary, delivers what the primary relays. */
export class IpcAdapter implements BroadcastAdapter {
  readonly instanceId: string;
  private readonly members: ChannelMembers;
  private readonly counts = { published: 0, received: 0, dropped: 0 };
  private closed = false;

  constructor(
    private readonly channel: NodeJS.Process = process,
    instanceId = createInstanceId(),
  ) {
    this.instanceId = instanceId;
    this.members = new ChannelMembers(this.instanceId, {
      forward: (name, payload) => this.forward(name, payload),
    });
    channel.on("message", this.onMessage);
  }

  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    if (this.closed) throw new TaurusError("CONNECTION_CLOSED", "adapter is closed");
    return this.members.join(channel, listener);
  }

  stats(): AdapterStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.members.clear();
      this.channel.off("message", this.onMessage);
    }
    return Promise.resolve();
  }

  private forward(channel: string, payload: Uint8Array): void {
    if (this.closed || !this.channel.connected || !this.channel.send) {
      this.counts.dropped++;
      return;
    }
    const message: IpcBackplaneMessage = {
      t: "backplane",
      channel,
      origin: this.instanceId,
      payload,
    };
    try {
      // With a callback, a failed send is reported there, not as an 'error' event.
      this.channel.send(message, undefined, {}, this.onSent);
    } catch {
      this.counts.dropped++;
    }
  }

  private readonly onSent = (error: Error | null): void => {
    if (error) this.counts.dropped++;
    else this.counts.published++;
  };

  private readonly onMessage = (m: unknown): void => {
    if (!isBackplaneMessage(m) || m.origin === this.instanceId) return;
    this.counts.received++;
    this.members.deliver(m.channel, m.payload, m.origin);
  };
}

/** The primary's half: relays each worker's backplane message to every other worker. */
export class IpcRelay {
  /** Messages relayed (each counted once, however many workers got it). */
  relayed = 0;

  /** Messages that could not be relayed to a worker (it was exiting). */
  failed = 0;
  private readonly workers = new Set<Worker>();
  private readonly onRelayed = (error: Error | null): void => {
    if (error) this.failed++;
  };

  add(worker: Worker): void {
    this.workers.add(worker);
    worker.on("message", (m: unknown) => {
      if (!isBackplaneMessage(m)) return;
      this.relayed++;
      for (const other of this.workers) {
        if (other !== worker && other.isConnected()) other.send(m, undefined, this.onRelayed);
      }
    });
    worker.once("exit", () => this.workers.delete(worker));
  }
}
