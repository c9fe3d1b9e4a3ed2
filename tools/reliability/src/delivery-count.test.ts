import { describe, expect, it } from "vitest";
import { DeliveryCounter, parsePayload, payloadOf } from "./delivery-count";

describe("DeliveryCounter", () => {
  it("counts nothing wrong for a stream delivered whole and in order", () => {
    const c = new DeliveryCounter("s");
    for (let i = 0; i < 5; i++) c.accepted(i);
    for (let i = 0; i < 5; i++) c.received(i);
    expect(c.report()).toEqual({
      accepted: 5,
      received: 5,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      unexpected: 0,
      firstLost: [],
    });
  });

  it("counts lost, duplicated, reordered and unexpected messages apart", () => {
    const c = new DeliveryCounter("s");
    for (let i = 0; i < 10; i++) c.accepted(i);
    // 3 and 4 lost; 6 twice; 8 after 9; 12 never accepted.
    for (const i of [0, 1, 2, 5, 6, 6, 7, 9, 8, 12]) c.received(i);
    expect(c.report()).toEqual({
      accepted: 10,
      received: 10,
      lost: 2,
      duplicated: 1,
      reordered: 1,
      unexpected: 1,
      firstLost: [3, 4],
    });
    expect(c.distinct).toBe(9);
  });

  it("a gap is a loss, not a reordering", () => {
    const c = new DeliveryCounter("s");
    for (let i = 0; i < 4; i++) c.accepted(i);
    for (const i of [0, 2, 3]) c.received(i);
    expect(c.report()).toMatchObject({ lost: 1, reordered: 0, firstLost: [1] });
  });

  it("payloads carry the stream id and the index, and nothing else parses", () => {
    expect(parsePayload(payloadOf("c2s-json-1", 42))).toEqual({ stream: "c2s-json-1", index: 42 });
    expect(parsePayload("hello")).toBeUndefined();
    expect(parsePayload("a 1 2")).toBeUndefined();
  });
});
