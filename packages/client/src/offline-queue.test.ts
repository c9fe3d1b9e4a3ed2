import { describe, expect, it } from "vitest";
import { OfflineQueue } from "./offline-queue";

const f = (n: number, size = 1) => new Uint8Array(size).fill(n);

describe("OfflineQueue", () => {
  it("keeps order, counts bytes and refuses past its bounds", () => {
    const q = new OfflineQueue(3, 100);
    q.push(f(1));
    q.push(f(2));
    q.push(f(3));
    expect(() => q.push(f(4))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
    expect(q.length).toBe(3);
    expect(q.byteLength).toBe(3);
    expect([q.shift()?.[0], q.shift()?.[0], q.shift()?.[0], q.shift()]).toEqual([
      1,
      2,
      3,
      undefined,
    ]);
    const bytes = new OfflineQueue(10, 10);
    bytes.push(f(1, 8));
    expect(() => bytes.push(f(2, 3))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
  });

  it("puts frames back in front, in order, beyond the bounds", () => {
    const q = new OfflineQueue(2, 100);
    q.push(f(3));
    q.push(f(4));
    q.unshift([f(1), f(2)]);
    expect(q.length).toBe(4);
    const out: number[] = [];
    for (let x = q.shift(); x; x = q.shift()) out.push(x[0] as number);
    expect(out).toEqual([1, 2, 3, 4]);
    expect(q.byteLength).toBe(0);
  });

  it("compacts as it goes and clears", () => {
    const q = new OfflineQueue(5000, 1e6);
    for (let i = 0; i < 3000; i++) q.push(f(i % 256));
    for (let i = 0; i < 2500; i++) expect(q.shift()?.[0]).toBe(i % 256);
    expect(q.peek()?.[0]).toBe(2500 % 256);
    expect(q.clear()).toBe(500);
    expect(q.length).toBe(0);
  });
});
