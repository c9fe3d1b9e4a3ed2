import { describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";
import { nextEvent } from "./testing/wait";

const tiny = createTinyProtocol();

describe("ConnectionStats.errorsByCode", () => {
  it("is empty and shared until the first error, then counts each error by its code", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny, { maxMessageSize: 16 });
    const other = new Connection(createSocketPair()[1], tiny);
    expect(conn.stats.errorsByCode).toEqual({});
    // No object per connection until it has an error.
    expect(conn.stats.errorsByCode).toBe(other.stats.errorsByCode);
    other.destroy();
    const ok = nextEvent(conn, "message");
    a.write(Buffer.from([1, 2, 3])); // garbage
    a.write(Buffer.concat([tiny.encode("y".repeat(40)), tiny.encode("ok")])); // too large, then fine
    expect(await ok).toBe("ok");
    expect(conn.stats.errorsByCode).toEqual({ INVALID_FORMAT: 1, MESSAGE_TOO_LARGE: 1 });
    // The same errors as the counts by kind.
    expect(conn.stats.errors.protocol).toBe(2);
    const closed = nextEvent(conn, "close");
    a.destroy();
    await closed;
    const codes = Object.values(conn.stats.errorsByCode).reduce((s, n) => s + n, 0);
    const kinds = Object.values(conn.stats.errors).reduce((s, n) => s + n, 0);
    expect(codes).toBe(kinds);
    expect(other.stats.errorsByCode).toEqual({});
  });
});

describe("Connection.stats", () => {
  it("is a snapshot taken at each read", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny);
    const before = conn.stats;
    const got = nextEvent(conn, "message");
    a.write(tiny.encode("one"));
    await got;
    expect(before.messagesIn).toBe(0);
    expect(conn.stats.messagesIn).toBe(1);
    expect(conn.stats.bytesIn).toBe(tiny.encode("one").length);
    conn.destroy();
  });
});
