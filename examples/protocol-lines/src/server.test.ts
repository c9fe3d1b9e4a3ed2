// The line chat over real sockets, as nc would use it: a flooder and two users,
// each from its own loopback address.
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLineServer } from "./server.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A socket and the lines it received, with a way to wait for one. */
function client(port: number, localAddress: string) {
  const socket: Socket = connect({ host: "127.0.0.1", port, localAddress });
  cleanup.push(() => socket.destroy());
  const lines: string[] = [];
  let pending = "";
  let waiter: (() => void) | undefined;
  socket.setEncoding("utf8");
  socket.on("data", (text: string) => {
    pending += text;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
    waiter?.();
  });
  const line = async (match: (l: string) => boolean): Promise<string> => {
    for (;;) {
      const found = lines.find(match);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => {
        waiter = resolve;
      });
    }
  };
  return { socket, lines, line };
}

describe("the line chat server", () => {
  it("passes lines on, and skips a flooder's over-long and broken lines without hurting others", async () => {
    const server = createLineServer({ maxMessageSize: 1024 });
    const { port } = await server.listen(0, "127.0.0.1");
    cleanup.push(() => server.close());

    const alice = client(port, "127.0.0.3");
    const bob = client(port, "127.0.0.4");
    await alice.line((l) => l.startsWith("* welcome"));
    await bob.line((l) => l.startsWith("* welcome"));

    const flooder = client(port, "127.0.0.2");
    await flooder.line((l) => l.startsWith("* welcome"));
    // 100 KiB without a newline, in pieces, then its end and a line that is not UTF-8.
    for (let i = 0; i < 100; i++) flooder.socket.write("A".repeat(1024));
    flooder.socket.write("END OF THE LONG LINE\n");
    flooder.socket.write(Buffer.from([0x62, 0x61, 0x64, 0xff, 0x0a]));
    await flooder.line((l) => l.startsWith("! line too long"));
    await flooder.line((l) => l === "! that line is not UTF-8: not sent");

    alice.socket.write("hi bob\r\n"); // nc -C sends CRLF
    expect(await bob.line((l) => l.endsWith(": hi bob"))).toMatch(/^user\d+: hi bob$/);
    flooder.socket.write("now a normal line\n");
    await bob.line((l) => l.endsWith(": now a normal line"));

    // Nothing of the flooder's long line (its tail included) reached anyone.
    for (const who of [alice, bob]) {
      expect(who.lines.filter((l) => l.includes("A") || l.includes("END OF"))).toEqual([]);
    }
    expect(flooder.lines.filter((l) => l.startsWith("! line too long"))).toHaveLength(1);
    const closed = [alice, bob, flooder].map((c) => once(c.socket, "close"));
    for (const c of [alice, bob, flooder]) c.socket.end();
    await Promise.all(closed);
  });
});
