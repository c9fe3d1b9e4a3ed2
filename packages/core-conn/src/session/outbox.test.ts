import { describe, expect, it } from "vitest";
import { asControlPayload, parseControlPayload } from "./control";
import { Inbox, Outbox } from "./outbox";

const frame = (n: number) => new Uint8Array(n);

describe("Outbox", () => {
  it("counts sent frames, drops acknowledged ones and hands back the rest in order", () => {
    const out = new Outbox(10, 1000);
    const frames = [frame(1), frame(2), frame(3), frame(4)];
    for (const f of frames) expect(out.push(f)).toBe(true);
    expect(out.sent).toBe(4);
    expect(out.bytes).toBe(10);
    expect(out.acknowledge(2)).toBe(true);
    expect(out.length).toBe(2);
    expect(out.bytes).toBe(7);
    expect(out.unacknowledged()).toEqual([frames[2], frames[3]]);
    expect(out.acknowledge(1)).toBe(true); // an older count changes nothing
    expect(out.length).toBe(2);
    expect(out.acknowledge(5)).toBe(false); // more than was sent: the peer is wrong
    expect(out.acknowledge(1.5)).toBe(false);
    expect(out.clear()).toBe(2);
    expect(out.length).toBe(0);
    expect(out.unacknowledged()).toEqual([]);
  });

  it("reports a bound passed, by messages or by bytes", () => {
    const byCount = new Outbox(2, 1000);
    expect(byCount.push(frame(1))).toBe(true);
    expect(byCount.push(frame(1))).toBe(true);
    expect(byCount.push(frame(1))).toBe(false);
    const byBytes = new Outbox(100, 10);
    expect(byBytes.push(frame(6))).toBe(true);
    expect(byBytes.push(frame(6))).toBe(false);
  });

  it("compacts its storage over long runs without losing order", () => {
    const out = new Outbox(5000, 1 << 20);
    for (let i = 0; i < 3000; i++) out.push(Uint8Array.of(i & 0xff));
    out.acknowledge(2990);
    const rest = out.unacknowledged().map((f) => f[0]);
    expect(rest).toEqual(Array.from({ length: 10 }, (_, i) => (2990 + i) & 0xff));
  });
});

describe("Inbox", () => {
  it("says when an acknowledgement is due", () => {
    const inbox = new Inbox(3);
    expect(inbox.processed()).toBe(false);
    expect(inbox.processed()).toBe(false);
    expect(inbox.processed()).toBe(true);
    inbox.acknowledged = inbox.received;
    expect(inbox.processed()).toBe(false);
  });
});

describe("control payloads", () => {
  it("accept flat objects only", () => {
    expect(parseControlPayload("")).toEqual({});
    expect(parseControlPayload('{"id":"x","received":3,"resumed":true}')).toEqual({
      id: "x",
      received: 3,
      resumed: true,
    });
    expect(parseControlPayload("not json")).toBeUndefined();
    expect(parseControlPayload("[1]")).toBeUndefined();
    expect(parseControlPayload('"text"')).toBeUndefined();
    expect(asControlPayload(null)).toEqual({});
    expect(asControlPayload({ nested: {} })).toBeUndefined();
  });
});
