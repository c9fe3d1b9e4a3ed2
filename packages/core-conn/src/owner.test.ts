import { once } from "node:events";
import { type AddressInfo, createConnection, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Connection, type ConnectionOwner, OWNER } from "./connection";
import type { TaurusError } from "./errors";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";
import { until } from "./testing/wait";

const tiny = createTinyProtocol(1024);

/** An owner that records what it is told in `log`, beside the connection's listeners. */
function recorder(log: string[]): ConnectionOwner<string> {
  return {
    message: (m) => log.push(`owner message ${m}`),
    drop: (e) => log.push(`owner drop ${e.code}`),
    end: () => log.push("owner end"),
    close: (e) => log.push(`owner close ${e?.code}`),
  };
}

/** A connection over an in-memory pair, owned by a {@link recorder}. */
function owned(log: string[]): {
  conn: Connection<string>;
  peer: ReturnType<typeof createSocketPair>[0];
} {
  const [peer, socket] = createSocketPair();
  const conn = new Connection(socket, tiny);
  conn[OWNER] = recorder(log);
  return { conn, peer };
}

describe("a connection's owner (the server's runner)", () => {
  it("is told of messages, drops and the close before the listeners, without listening", async () => {
    const log: string[] = [];
    const { conn, peer } = owned(log);
    expect(conn.eventNames()).toEqual([]);
    conn.on("message", (m) => log.push(`listener message ${m}`));
    conn.on("close", (e?: TaurusError) => log.push(`listener close ${e?.code}`));
    peer.write(Buffer.from([1, 2, 3])); // garbage: a drop, with no drop listener
    peer.write(tiny.encode("hi"));
    await until(() => log.length >= 3);
    conn.destroy();
    expect(log).toEqual([
      "owner drop INVALID_FORMAT",
      "owner message hi",
      "listener message hi",
      "owner close undefined",
      "listener close undefined",
    ]);
  });

  it("takes over the end of the peer's stream: the connection does not close itself", async () => {
    const server = createServer({ allowHalfOpen: true });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const peer = createConnection({
      port: (server.address() as AddressInfo).port,
      host: "127.0.0.1",
      allowHalfOpen: true,
    });
    const [socket] = (await once(server, "connection")) as [Socket];
    const log: string[] = [];
    const conn = new Connection(socket, tiny);
    conn[OWNER] = recorder(log);
    let ended = 0;
    conn.on("end", () => ended++);
    peer.end(tiny.encode("last"));
    await until(() => ended === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toEqual(["owner message last", "owner end"]);
    expect(conn.state).toBe("open"); // the owner closes it when it is done
    const peerClosed = once(peer, "close");
    await conn.close();
    expect(log.at(-1)).toBe("owner close undefined");
    await peerClosed;
    server.close();
  });
});
