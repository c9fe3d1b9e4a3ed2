// Connection ids: generated ones are made as strings only when asked for (an idle
// server connection keeps none, issue 18), and map back to their counter.
import { afterEach, describe, expect, it } from "vitest";
import { Connection, connectionSerial, serialOfConnectionId } from "./connection";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function connection(id?: string) {
  const [peer, socket] = createSocketPair();
  const conn = new Connection(socket, createTinyProtocol(), id === undefined ? {} : { id });
  cleanup.push(() => {
    conn.destroy();
    peer.destroy();
  });
  return conn;
}

describe("connection ids", () => {
  it("are unique, stable, and map back to their counter before and after the string is made", () => {
    const a = connection();
    const b = connection();
    const serialA = connectionSerial(a) as number;
    expect(connectionSerial(b)).toBe(serialA + 1);
    expect(a.id).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
    expect(a.id).toBe(a.id);
    expect(a.id).not.toBe(b.id);
    expect(connectionSerial(a)).toBe(serialA);
    expect(serialOfConnectionId(a.id)).toBe(serialA);
    expect(serialOfConnectionId(b.id)).toBe(serialA + 1);
  });

  it("given as an option are kept, and have no counter", () => {
    const conn = connection("my-own");
    expect(conn.id).toBe("my-own");
    expect(connectionSerial(conn)).toBeUndefined();
  });

  it("map back only when they are generated ids of this process", () => {
    const prefix = connection().id.split("-")[0] as string;
    for (const other of [
      "",
      "x",
      prefix,
      `${prefix}-`,
      `${prefix}-0`,
      `${prefix}-01`,
      `${prefix}-1.5`,
      `${prefix}x1`,
      `zzzzzz-1`,
    ]) {
      expect(serialOfConnectionId(other), other).toBeUndefined();
    }
    expect(serialOfConnectionId(`${prefix}-a`)).toBe(10);
  });
});
