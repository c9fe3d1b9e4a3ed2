import type { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import type { BackplaneCodec, BroadcastAdapter } from "./adapter";
import { createLocalAdapter } from "./local-adapter";
import type { TaurusServer } from "./server";
import { connectRaw, msg, onCleanup, startServer, until } from "./test-helpers";

const JOIN = 10;
const LEAVE = 11;
const SAY = 12;
const FAILED = 99;

/**
 * An application of rooms: `JOIN room`, `LEAVE room`, `SAY room:text` (broadcast to the
 * room, the sender excepted); a refused join is answered with `FAILED code`.
 */
function roomsApp(get: () => TaurusServer<BinaryMessage>) {
  return {
    onMessage(m: BinaryMessage, conn: Connection<BinaryMessage>) {
      const text = Buffer.from(m.data).toString();
      const server = get();
      try {
        if (m.type === JOIN) server.rooms.join(conn, text);
        else if (m.type === LEAVE) server.rooms.leave(conn, text);
        else if (m.type === SAY) {
          const [room, said] = text.split(":") as [string, string];
          server.rooms.broadcast(room, msg(m.sequence, said, SAY), { except: conn });
        }
      } catch (err) {
        conn.send(msg(m.sequence, (err as { code: string }).code, FAILED));
      }
    },
  };
}

async function roomServer(extra: Parameters<typeof startServer>[0] = {}) {
  let server: TaurusServer<BinaryMessage> | undefined;
  const started = await startServer({
    handler: roomsApp(() => server as TaurusServer<BinaryMessage>),
    ...extra,
  });
  server = started.server;
  return started;
}

/** A client from `address` that records what it gets. */
async function client(port: number, address = "127.0.0.1") {
  const conn = await connectRaw(port, address);
  const inbox: BinaryMessage[] = [];
  conn.on("message", (m) => inbox.push(m));
  const said = (text: string) =>
    inbox.some((m) => m.type === SAY && Buffer.from(m.data).toString() === text);
  const failures = () =>
    inbox.filter((m) => m.type === FAILED).map((m) => Buffer.from(m.data).toString());
  return { conn, inbox, said, failures };
}

describe("rooms", () => {
  it("delivers a room's broadcast to its members only, encoded once, the sender excepted", async () => {
    const { server, port } = await roomServer();
    const alice = await client(port);
    const bob = await client(port);
    const carol = await client(port);
    alice.conn.send(msg(1, "lobby", JOIN));
    bob.conn.send(msg(1, "lobby", JOIN));
    carol.conn.send(msg(1, "kitchen", JOIN));
    await until(() => server.rooms.members("lobby").length === 2);
    expect(server.rooms.list().sort()).toEqual(["kitchen", "lobby"]);

    const encode = server.protocol.encode;
    let encodes = 0;
    server.protocol.encode = (m) => {
      encodes++;
      return encode(m);
    };
    const [aliceHere] = server.rooms.members("lobby");
    expect(server.rooms.broadcast("lobby", msg(5, "hello lobby", SAY))).toEqual({
      sent: 2,
      failed: 0,
    });
    server.protocol.encode = encode;
    expect(encodes).toBe(1);
    expect(
      server.rooms.broadcast("lobby", msg(6, "not alice", SAY), { except: aliceHere }),
    ).toEqual({ sent: 1, failed: 0 });
    carol.conn.send(msg(2, "kitchen:only carol's room", SAY));
    await until(
      () => alice.said("hello lobby") && bob.said("hello lobby") && bob.said("not alice"),
    );
    // carol's own broadcast excepted her; she is the only member: nobody got it.
    await until(() => server.rooms.members("kitchen").length === 1);
    expect(carol.said("hello lobby")).toBe(false);
    expect(alice.said("not alice")).toBe(false);
    expect(alice.said("only carol's room") || bob.said("only carol's room")).toBe(false);
  });

  it("forgets a closed connection, and a leave is a leave", async () => {
    const { server, port } = await roomServer();
    const alice = await client(port);
    const bob = await client(port);
    alice.conn.send(msg(1, "a", JOIN));
    alice.conn.send(msg(2, "b", JOIN));
    bob.conn.send(msg(1, "a", JOIN));
    await until(() => server.rooms.members("a").length === 2 && server.rooms.list().length === 2);
    const aliceHere = server.rooms.members("b")[0]!;
    expect(server.rooms.of(aliceHere)).toEqual(["a", "b"]);
    expect(server.rooms.join(aliceHere, "a")).toBe(false);
    alice.conn.send(msg(3, "a", LEAVE));
    await until(() => server.rooms.members("a").length === 1);
    expect(server.rooms.of(aliceHere)).toEqual(["b"]);
    expect(server.rooms.leave(aliceHere, "a")).toBe(false);
    alice.conn.destroy();
    await until(() => server.rooms.list().length === 1);
    expect(server.rooms.list()).toEqual(["a"]);
    expect(server.rooms.of(aliceHere.id)).toEqual([]);
    expect(() => server.rooms.join(aliceHere, "c")).toThrow(
      expect.objectContaining({ code: "CONNECTION_CLOSED" }),
    );
  });

  it("bounds rooms per connection and room names; an attacker's refusals leave a user served", async () => {
    const { server, port } = await roomServer({
      rooms: { maxPerConnection: 3, maxNameLength: 8 },
      perAddress: { trusted: [] },
    });
    const attacker = await client(port, "127.0.0.2");
    const user = await client(port, "127.0.0.3");
    user.conn.send(msg(1, "lobby", JOIN));
    for (let i = 0; i < 5; i++) attacker.conn.send(msg(i, `r${i}`, JOIN));
    attacker.conn.send(msg(10, "", JOIN));
    attacker.conn.send(msg(11, "x".repeat(9), JOIN));
    attacker.conn.send(msg(12, "é".repeat(5), JOIN)); // 10 bytes
    attacker.conn.send(msg(13, "a\u0000b", JOIN));
    await until(() => attacker.failures().length === 6);
    expect(attacker.failures()).toEqual([
      "ROOM_LIMIT",
      "ROOM_LIMIT",
      "INVALID_ROOM",
      "INVALID_ROOM",
      "INVALID_ROOM",
      "INVALID_ROOM",
    ]);
    const attackerHere = server.rooms.members("r0")[0]!;
    expect(server.rooms.of(attackerHere)).toEqual(["r0", "r1", "r2"]);
    server.rooms.broadcast("lobby", msg(1, "still served", SAY));
    await until(() => user.said("still served"));
    expect(() => server.rooms.broadcast("", msg(1, "x", SAY))).toThrow(
      expect.objectContaining({ code: "INVALID_ROOM" }),
    );
  });

  it("names the option it refuses", async () => {
    for (const rooms of [{ maxPerConnection: 0 }, { maxNameLength: 1.5 }]) {
      const option = Object.keys(rooms)[0];
      await expect(startServer({ rooms })).rejects.toThrow(`rooms.${option}`);
    }
  });
});

/** The binary protocol's messages as neutral bytes: the frame's data, with type and sequence. */
const codec: BackplaneCodec<BinaryMessage> = {
  encode: (m) => Buffer.concat([Buffer.from([m.type, m.sequence]), m.data]),
  decode: (b) => ({ version: 1, type: b[0]!, sequence: b[1]!, data: b.subarray(2) }),
};

/** An adapter that counts the channels joined and left through it. */
function countingAdapter(inner: BroadcastAdapter) {
  const joined = new Map<string, number>();
  const published: string[] = [];
  const adapter: BroadcastAdapter = {
    instanceId: inner.instanceId,
    publish(channel, payload) {
      published.push(channel);
      inner.publish?.(channel, payload);
    },
    stats: () => inner.stats(),
    close: () => inner.close(),
    join(channel, listener) {
      joined.set(channel, (joined.get(channel) ?? 0) + 1);
      const membership = inner.join(channel, listener);
      return {
        publish: (p) => membership.publish(p),
        leave() {
          joined.set(channel, (joined.get(channel) ?? 0) - 1);
          membership.leave();
        },
      };
    },
  };
  return { adapter, joined, published };
}

describe("rooms across servers sharing a backplane", () => {
  it("are one room; a server holds a room's channel only while it has members in it", async () => {
    const local = createLocalAdapter();
    onCleanup(() => local.close());
    const { adapter, joined, published } = countingAdapter(local);
    const a = await roomServer({ backplane: { adapter, codec } });
    const b = await roomServer({ backplane: { adapter, codec } });
    const onA = await client(a.port);
    const onB = await client(b.port);
    const elsewhere = await client(b.port);
    onA.conn.send(msg(1, "lobby", JOIN));
    onB.conn.send(msg(1, "lobby", JOIN));
    elsewhere.conn.send(msg(1, "other", JOIN));
    await until(() => joined.get("taurus#lobby") === 2 && joined.get("taurus#other") === 1);

    onA.conn.send(msg(2, "lobby:from a", SAY));
    elsewhere.conn.send(msg(2, "lobby:from a non-member on b", SAY));
    await until(() => onB.said("from a") && onA.said("from a non-member on b"));
    expect(onB.said("from a non-member on b")).toBe(true);
    expect(elsewhere.said("from a")).toBe(false);
    // The last member on b leaves: b leaves the room's channel, and gets nothing more.
    onB.conn.send(msg(3, "lobby", LEAVE));
    await until(() => joined.get("taurus#lobby") === 1);
    a.server.rooms.broadcast("lobby", msg(4, "after b left", SAY));
    await until(() => onA.said("after b left"));
    expect(onB.said("after b left")).toBe(false);
    // A server without members in a room still reaches the room's members elsewhere, by
    // publishing without joining the room's channel.
    expect(b.server.rooms.broadcast("lobby", msg(5, "from b, no member", SAY))).toEqual({
      sent: 0,
      failed: 0,
    });
    await until(() => onA.said("from b, no member"));
    expect(joined.get("taurus#lobby")).toBe(1);
    expect(published).toEqual(["taurus#lobby"]);
    // Closing a server leaves every room channel it held.
    await a.server.close();
    expect(joined.get("taurus#lobby")).toBe(0);
  });
});
