import type { TaurusError } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { createMessageStream, type IncomingMessage } from "./message-stream";
import { collect, connectRaw, msg, startServer, until } from "./test-helpers";

const text = (m: BinaryMessage) => Buffer.from(m.data).toString();

describe("createMessageStream", () => {
  it("serves every connection from one for-await loop, in order per connection", async () => {
    const incoming = createMessageStream<BinaryMessage>();
    const { server, port } = await startServer({ handler: { onMessage: incoming.onMessage } });
    server.once("close", () => incoming.end());
    const loop = (async () => {
      for await (const { conn, message } of incoming) conn.send(msg(message.sequence, "echo"));
    })();
    const a = await connectRaw(port, "127.0.0.2");
    const b = await connectRaw(port, "127.0.0.3");
    const fromA = collect(a, 30);
    const fromB = collect(b, 30);
    for (let i = 1; i <= 30; i++) {
      a.send(msg(i, "a"));
      b.send(msg(i, "b"));
    }
    const expected = Array.from({ length: 30 }, (_, i) => i + 1);
    expect((await fromA).map((m) => m.sequence)).toEqual(expected);
    expect((await fromB).map((m) => m.sequence)).toEqual(expected);
    await server.close();
    await loop; // ended with the server
  });

  it("holds a connection back while the loop is behind; the others still reach the stream", async () => {
    const incoming = createMessageStream<BinaryMessage>({ highWaterMark: 4 });
    const { port } = await startServer({ handler: { onMessage: incoming.onMessage } });
    const flood = await connectRaw(port, "127.0.0.2");
    for (let i = 1; i <= 20; i++) flood.send(msg(i, "flood"));
    await until(() => incoming.buffered === 4, { what: "a full buffer" });
    // A sentinel on another connection: it reaches the stream, the flood is not read further.
    const user = await connectRaw(port, "127.0.0.3");
    user.send(msg(1, "user"));
    await until(() => incoming.buffered === 5, { what: "the user's message" });
    expect(flood.stats.messagesOut).toBe(20);
    const seen: IncomingMessage<BinaryMessage>[] = [];
    for await (const item of incoming) {
      seen.push(item);
      if (seen.length === 21) break;
    }
    const floodSeen = seen
      .filter((s) => text(s.message) === "flood")
      .map((s) => s.message.sequence);
    expect(floodSeen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seen.filter((s) => text(s.message) === "user")).toHaveLength(1);
    // The user's message came before most of the flood: the flood was held, not read ahead.
    expect(seen.findIndex((s) => text(s.message) === "user")).toBe(4);
  });

  it("refuses messages once ended, reported as HANDLER_FAILED; one loop only", async () => {
    const incoming = createMessageStream<BinaryMessage>();
    const errors: TaurusError[] = [];
    const { port } = await startServer({
      handler: { onMessage: incoming.onMessage, onError: (e) => errors.push(e) },
    });
    const got: number[] = [];
    const loop = (async () => {
      for await (const { message } of incoming) got.push(message.sequence);
    })();
    expect(() => incoming[Symbol.asyncIterator]()).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    const conn = await connectRaw(port);
    conn.send(msg(1));
    await until(() => got.length === 1, { what: "the first message" });
    incoming.end();
    await loop;
    expect(got).toEqual([1]);
    conn.send(msg(2));
    await until(() => errors.length === 1, { what: "the refusal" });
    expect(errors[0]?.code).toBe("HANDLER_FAILED");
    expect(String(errors[0]?.message)).toContain("ended");
    expect(() => createMessageStream({ highWaterMark: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", option: "highWaterMark" }),
    );
  });
});
