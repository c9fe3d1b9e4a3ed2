import { TaurusError } from "@taurus/core-conn";
import {
  type AdapterStats,
  type BackplaneListener,
  type BackplaneMembership,
  type BroadcastAdapter,
  createInstanceId,
} from "./adapter";
import { ChannelMembers } from "./channel-members";

/**
 * The in-process adapter: members of a channel in this process reach each
 * other, and nothing leaves the process. This is what a server does with no
 * backplane at all, extended to several servers in one process (for example
 * one per protocol) that share a room. Its stats count nothing crossing
 * instances: `published`, `received`, `dropped`, `lost` and `duplicates` stay 0.
 */
class LocalAdapter implements BroadcastAdapter {
  readonly instanceId = createInstanceId();
  private readonly members = new ChannelMembers(this.instanceId, { forward: () => {} });
  private closed = false;

  publish(channel: string, payload: Uint8Array): void {
    if (!this.closed) this.members.publish(channel, payload);
  }

  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    if (this.closed) throw new TaurusError("CONNECTION_CLOSED", "adapter is closed");
    return this.members.join(channel, listener);
  }

  stats(): AdapterStats {
    return {
      published: 0,
      received: 0,
      dropped: 0,
      lost: 0,
      duplicates: 0,
      messagesIn: 0,
      messagesOut: 0,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.members.clear();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates the in-process adapter: servers of one process that join the same
 * channel get each other's broadcasts (each re-encoded for its own protocol);
 * nothing crosses processes.
 *
 * @returns a new adapter with a random instance id; `await using` closes it
 *
 * @example
 * ```ts
 * const adapter = createLocalAdapter();
 * const json = createServer({ protocol: createJsonProtocol(), backplane: { adapter, codec: jsonCodec } });
 * const binary = createServer({ protocol: createBinaryProtocol(), backplane: { adapter, codec: binaryCodec } });
 * json.broadcast(message); // JSON clients, then binary clients, each in their protocol
 * ```
 */
export function createLocalAdapter(): BroadcastAdapter & AsyncDisposable {
  return new LocalAdapter();
}
