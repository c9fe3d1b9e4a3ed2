import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { lazyEventTable, shapeEventTable } from "./event-table";

// What EventEmitter keeps its listeners in: asserted directly, since holding no table
// (and a small one when listened to) is the point of these helpers (memory per connection).
type Table = { _events: Record<string, unknown> | undefined };

class Emitter extends EventEmitter {
  constructor() {
    super();
    lazyEventTable(this);
  }
}
shapeEventTable(Emitter.prototype, ["message", "close"]);

describe("the event table of an emitter", () => {
  it("is made by the first listener, with the shaped slots, and goes with the last one", () => {
    const emitter = new Emitter();
    expect((emitter as unknown as Table)._events).toBeUndefined();
    expect(emitter.emit("message", 1)).toBe(false);
    const got: unknown[] = [];
    const onMessage = (m: unknown): void => {
      got.push(m);
    };
    emitter.on("message", onMessage);
    emitter.once("other", () => got.push("other"));
    expect(Object.keys((emitter as unknown as Table)._events ?? {})).toEqual([
      "message",
      "close",
      "other",
    ]);
    emitter.emit("message", 1);
    emitter.emit("other");
    emitter.emit("other");
    expect(got).toEqual([1, "other"]);
    expect(emitter.listenerCount("other")).toBe(0);
    emitter.off("message", onMessage);
    expect((emitter as unknown as Table)._events).toBeUndefined();
    emitter.prependListener("close", () => got.push("close"));
    emitter.emit("close");
    emitter.removeAllListeners();
    expect((emitter as unknown as Table)._events).toBeUndefined();
    expect(got).toEqual([1, "other", "close"]);
  });
});
