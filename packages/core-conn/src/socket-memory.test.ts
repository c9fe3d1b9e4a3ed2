// What a connection leaves on a net.Socket (issue 18, idle memory): one `end`
// listener, not an array of two (64 bytes), with Node's own still run first; and
// the peer's address kept by the connection, not in Node's cached object (~90 bytes).
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import type { ConnectionSocket } from "./connection-types";
import { tcpPair } from "./fixtures/tcp-pair";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { KEPT_ADDRESSES_MAX, keepPeerAddress, keptAddressCount } from "./socket-memory";
import { until } from "./testing/wait";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

const tiny = createTinyProtocol(1024);

describe("the socket's end listener", () => {
  it("is one function on a served net.Socket; the connection and Node both hear the peer's end", async () => {
    const { client, accepted } = await tcpPair(cleanup, false);
    const conn = new Connection(accepted, tiny);
    cleanup.push(() => conn.destroy());
    expect(accepted.listeners("end")).toHaveLength(1);
    expect(Array.isArray((accepted as unknown as { _events: { end: unknown } })._events.end)).toBe(
      false,
    );
    const closed = once(conn, "close");
    client.end();
    await closed;
    // Node's listener ran: on a socket that is not half-open it replaces `write` with
    // its write-after-FIN guard.
    expect(Object.hasOwn(accepted, "write")).toBe(true);
    await until(() => client.readableEnded || client.destroyed, { what: "the server's end" });
  });

  it("is added beside listeners already there, and still hears the end", async () => {
    const { client, accepted } = await tcpPair(cleanup, true);
    const heard: string[] = [];
    accepted.on("end", () => heard.push("user"));
    const conn = new Connection(accepted, tiny);
    conn.on("error", () => {});
    cleanup.push(() => conn.destroy());
    expect(accepted.listeners("end")).toHaveLength(3);
    const closed = once(conn, "close");
    client.end();
    await closed;
    expect(heard).toEqual(["user"]);
  });
});

describe("the peer's address", () => {
  it("is kept by the connection, not cached on the socket, and known after the close", async () => {
    const { client, accepted } = await tcpPair(cleanup, false);
    const conn = new Connection(accepted, tiny);
    cleanup.push(() => conn.destroy());
    expect(conn.remoteAddress).toBe("127.0.0.1");
    expect((accepted as unknown as { _peername?: unknown })._peername).toBeUndefined();
    // The socket still answers while it is open (Node reads the address again).
    expect(accepted.remoteAddress).toBe("127.0.0.1");
    expect(conn.remotePort).toBe(client.localPort);
    const closed = once(conn, "close");
    conn.destroy();
    await closed;
    expect(conn.remoteAddress).toBe("127.0.0.1");
  });

  it("is remembered once per address, for at most KEPT_ADDRESSES_MAX addresses", () => {
    const socketFrom = (address: string | undefined) =>
      ({ remoteAddress: address }) as unknown as ConnectionSocket;
    expect(keepPeerAddress(socketFrom(undefined))).toBeUndefined();
    const first = keepPeerAddress(socketFrom("10.1.0.1"));
    expect(first).toBe("10.1.0.1");
    const count = keptAddressCount();
    // The same address again (a new string from Node each time): nothing more is remembered.
    expect(keepPeerAddress(socketFrom(["10", "1", "0", "1"].join(".")))).toBe("10.1.0.1");
    expect(keptAddressCount()).toBe(count);
    // An address scan: every answer right, the memory bounded.
    let most = 0;
    for (let i = 0; i < 3 * KEPT_ADDRESSES_MAX; i++) {
      const address = `10.2.${i >> 8}.${i & 255}`;
      expect(keepPeerAddress(socketFrom(address))).toBe(address);
      most = Math.max(most, keptAddressCount());
    }
    expect(most).toBe(KEPT_ADDRESSES_MAX);
    expect(keptAddressCount()).toBeLessThanOrEqual(KEPT_ADDRESSES_MAX);
  });
});
