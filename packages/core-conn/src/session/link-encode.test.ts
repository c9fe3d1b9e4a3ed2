import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "../connection";
import { createLineProtocol } from "../fixtures/lines";
import type { Protocol } from "../protocol";
import { inSlab, LARGE_SLAB_FRAME_MAX, SLAB_FRAME_MAX } from "../slab";
import { createSocketPair } from "../testing/socket-pair";
import { until } from "../testing/wait";

/** Lines, with `encodedLength`/`encodeInto` (as the Taurus protocols have). */
function linesInto(): Protocol<string> {
  const base = createLineProtocol(LIMIT);
  return {
    ...base,
    encodedLength: (message: string) => Buffer.byteLength(message) + 1,
    encodeInto(message: string, target: Buffer, offset: number) {
      const n = target.write(message, offset);
      target[offset + n] = 0x0a;
      return n + 1;
    },
  };
}

const LIMIT = 64 * 1024;
const open: Connection<string>[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.destroy();
});

describe("a session's sends with a protocol that has encodeInto", () => {
  it("hands the session each frame's bytes, none of them in a shared slab", async () => {
    const [a, b] = createSocketPair();
    const sender = new Connection(a, linesInto(), { maxMessageSize: LIMIT });
    const receiver = new Connection(b, createLineProtocol(LIMIT), { maxMessageSize: LIMIT });
    open.push(sender, receiver);
    const kept: Uint8Array[] = [];
    sender.attachSession({
      sent: (frame) => void kept.push(frame),
      sendAfterClose: () => false,
      control: () => undefined,
    });
    const got: string[] = [];
    receiver.on("message", (m) => got.push(m));
    const large = "x".repeat(SLAB_FRAME_MAX + 100); // a frame for a large slab
    const huge = "y".repeat(LARGE_SLAB_FRAME_MAX + 100); // a frame with a buffer of its own
    const messages = [
      "one",
      "two",
      large,
      huge,
      "three",
      ...Array.from({ length: 500 }, (_, i) => `m${i}`),
    ];
    for (const m of messages) sender.send(m);
    await until(() => got.length === messages.length);
    expect(got).toEqual(messages);
    // What the session keeps is each frame's bytes, intact after later frames were written,
    // and never a view into a shared slab (a held frame must not pin one).
    for (let i = 0; i < 600; i++) sender.send(`later ${i}`);
    await until(() => got.length === messages.length + 600);
    expect(kept.slice(0, messages.length).map((f) => Buffer.from(f).toString())).toEqual(
      messages.map((m) => `${m}\n`),
    );
    expect(kept.filter((f) => inSlab(f))).toEqual([]);
  });
});
