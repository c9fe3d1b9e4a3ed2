import net from "node:net";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import type {
  AdapterStats,
  BackplaneCodec,
  BackplaneListener,
  BackplaneMembership,
  BroadcastAdapter,
} from "./adapter";
import { ChannelMembers } from "./channel-members";
import { connectRaw, msg, onCleanup, startServer, until } from "./test-helpers";

const codec: BackplaneCodec<BinaryMessage> = {
  encode: (m) => Buffer.from(m.data),
  decode: (payload) => msg(1, Buffer.from(payload).toString()),
};

/** An adapter whose deliveries from "other instances" the test makes itself, as a durable one reads. */
class PacedAdapter implements BroadcastAdapter {
  readonly instanceId = "here";
  readonly members = new ChannelMembers("here", { forward: () => {} });
  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    return this.members.join(channel, listener);
  }
  stats(): AdapterStats {
    return { published: 0, received: 0, dropped: 0 };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe("backplane pacing", () => {
  it("asks a durable backplane to wait while a connection's queue is over half full, and reads on once it drained", async () => {
    const adapter = new PacedAdapter();
    const { server, port } = await startServer({
      backplane: { adapter, codec },
      sendQueueSize: 8,
      sendQueueBytes: 1 << 20,
      writeTimeout: 30_000,
    });
    // A peer that stops reading: the kernel's buffers fill, then the send queue.
    const stalled = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    onCleanup(() => stalled.destroy());
    await new Promise((r) => stalled.once("connect", r));
    stalled.pause();
    const reader = await connectRaw(port);
    const readerGot: string[] = [];
    reader.on("message", (m) => readerGot.push(Buffer.from(m.data).toString()));
    await until(() => server.connectionCount === 2);
    const payload = "x".repeat(60_000);
    let ready = false;
    for (let i = 0; i < 200 && !ready; i++) {
      adapter.members.deliver("taurus", Buffer.from(payload), "there");
      const wait = adapter.members.ready();
      let settled = false;
      void wait.then(() => {
        settled = true;
      });
      await new Promise((r) => setImmediate(r));
      if (!settled) ready = true; // the first batch that had to wait
    }
    expect(ready).toBe(true);
    expect(reader.state).toBe("open");
    // Still congested: the next delivery waits on the same pace, which settles only once
    // the peer reads again; nothing was refused meanwhile.
    adapter.members.deliver("taurus", Buffer.from("one more"), "there");
    let settled = false;
    const waiting = adapter.members.ready().then(() => {
      settled = true;
    });
    // A sentinel, not a sleep: the reader has the delivery, the stalled peer still holds the pace.
    await until(() => readerGot.includes("one more"), { what: "the delivery to the reader" });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    stalled.resume();
    await waiting;
    expect(server.metrics.snapshot().errors_by_code?.SEND_QUEUE_FULL ?? 0).toBe(0);
  });
});
