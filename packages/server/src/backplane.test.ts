import type { TaurusError } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import type { BackplaneCodec } from "./adapter";
import { ChannelMembers } from "./channel-members";
import { createLocalAdapter } from "./local-adapter";
import { collect, connectRaw, msg, startServer, until } from "./test-helpers";

/** Neutral form: `sequence:text`; decoding tags the message with its server's type. */
const codec = (type: number): BackplaneCodec<BinaryMessage> => ({
  encode: (m) => Buffer.from(`${m.sequence}:${Buffer.from(m.data).toString()}`),
  decode: (payload) => {
    const [sequence, text] = Buffer.from(payload).toString().split(":");
    if (text === undefined) throw new Error("no colon");
    return msg(Number(sequence), text, type);
  },
});

describe("backplane", () => {
  it("reaches the other servers sharing an adapter, re-encoded once each, and not the publisher twice", async () => {
    const adapter = createLocalAdapter();
    const a = await startServer({ backplane: { adapter, codec: codec(1) } });
    const b = await startServer({ backplane: { adapter, codec: codec(2) } });
    const onA = await connectRaw(a.port);
    const onB = await connectRaw(b.port);
    await until(() => a.server.connectionCount === 1 && b.server.connectionCount === 1);
    const gotA = collect(onA, 1);
    const gotB = collect(onB, 1);
    expect(a.server.broadcast(msg(7, "hi", 1))).toEqual({ sent: 1, failed: 0 });
    expect((await gotA).map((m) => [m.type, m.sequence])).toEqual([[1, 7]]);
    expect((await gotB).map((m) => [m.type, m.sequence])).toEqual([[2, 7]]);

    // local: this server only (a broadcast to both after it is the sentinel).
    const laterOnB: number[] = [];
    onB.on("message", (m) => laterOnB.push(m.sequence));
    a.server.broadcast(msg(8, "local"), { local: true });
    await until(() => onA.stats.messagesIn === 2);
    a.server.broadcast(msg(9, "sentinel"));
    await until(() => onB.stats.messagesIn === 2);
    expect(laterOnB).toEqual([9]);
    expect(adapter.stats()).toEqual({
      published: 0,
      received: 0,
      dropped: 0,
      lost: 0,
      duplicates: 0,
      messagesIn: 0,
      messagesOut: 0,
    });
    await adapter.close();
  });

  it("reports a payload its codec cannot decode as MALFORMED_BODY and keeps serving", async () => {
    const adapter = createLocalAdapter();
    const errors: TaurusError[] = [];
    const b = await startServer({
      backplane: { adapter, codec: codec(2), channel: "room" },
      handler: { onError: (e) => errors.push(e) },
    });
    const client = await connectRaw(b.port);
    await until(() => b.server.connectionCount === 1);
    const other = adapter.join("room", () => {});
    other.publish(Buffer.from("garbage"));
    expect(errors.map((e) => e.code)).toEqual(["MALFORMED_BODY"]);
    other.publish(Buffer.from("3:fine"));
    await until(() => client.stats.messagesIn === 1);
    other.leave();
    await adapter.close();
  });

  it("throws INVALID_MESSAGE before any send when the codec cannot encode", async () => {
    const adapter = createLocalAdapter();
    const a = await startServer({
      backplane: {
        adapter,
        codec: {
          encode: () => {
            throw new Error("nope");
          },
          decode: () => msg(1),
        },
      },
    });
    const client = await connectRaw(a.port);
    await until(() => a.server.connectionCount === 1);
    expect(() => a.server.broadcast(msg(1, "x"))).toThrow(
      expect.objectContaining({ code: "INVALID_MESSAGE" }),
    );
    // A local broadcast (no codec) is the sentinel: it must be the first message to arrive.
    const first = collect(client, 1);
    a.server.broadcast(msg(2, "sentinel"), { local: true });
    expect((await first).map((m) => m.sequence)).toEqual([2]);
    expect(client.stats.messagesIn).toBe(1);
    await adapter.close();
  });
});

describe("ChannelMembers", () => {
  it("delivers to the other local members, forwards once, and delivers remote messages to all", () => {
    const forwarded: string[] = [];
    const events: string[] = [];
    const failures: unknown[] = [];
    const members = new ChannelMembers("me", {
      forward: (channel, payload) => forwarded.push(`${channel}:${Buffer.from(payload)}`),
      firstJoined: (channel) => events.push(`+${channel}`),
      lastLeft: (channel) => events.push(`-${channel}`),
      listenerFailed: (err) => failures.push(err),
    });
    const got: string[] = [];
    const one = members.join("c", (p, origin) => got.push(`one ${Buffer.from(p)} ${origin}`));
    const two = members.join("c", () => {
      throw new Error("bad listener");
    });
    const three = members.join("c", (p, origin) => got.push(`three ${Buffer.from(p)} ${origin}`));
    one.publish(Buffer.from("x"));
    expect(got).toEqual(["three x me"]);
    expect(forwarded).toEqual(["c:x"]);
    expect(failures).toHaveLength(1);
    expect(members.deliver("c", Buffer.from("y"), "other")).toBe(3);
    expect(got).toEqual(["three x me", "one y other", "three y other"]);
    expect(members.deliver("nobody", Buffer.from("z"), "other")).toBe(0);
    one.leave();
    two.leave();
    three.leave();
    three.leave();
    expect(events).toEqual(["+c", "-c"]);
    expect(members.names()).toEqual([]);
  });
});
