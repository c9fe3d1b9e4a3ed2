// The application's heartbeat with a session: the server counts every data frame of a
// session, heartbeats included, so the client counts its heartbeats too.
import { CONTROL_KIND, Connection, type ControlPayload, type TaurusError } from "@taurus/core-conn";
import { type BinaryMessage, binaryControl } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import {
  binary,
  binaryData,
  onCleanup,
  runCleanups,
  sessionClient,
  startRawServer,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

const HEARTBEAT = 99;

describe("a session client with an application heartbeat", () => {
  it("stays connected: the server's acknowledgements count its heartbeats", async () => {
    const heartbeats: number[] = [];
    const atServer: number[] = [];
    const server = createServer<BinaryMessage>({
      protocol: binary,
      // Every processed frame acknowledged at once, heartbeats among them.
      sessions: { ackEvery: 1 },
      rateLimit: Number.POSITIVE_INFINITY,
      handler: {
        onMessage: (m, conn) => {
          if (m.sequence === HEARTBEAT) heartbeats.push(m.sequence);
          else {
            atServer.push(m.sequence);
            conn.send(m); // echoed, after the acknowledgements of what came before
          }
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const client = sessionClient(port, {
      heartbeat: { interval: 10, timeout: 60_000, message: () => binaryData(HEARTBEAT) },
    });
    const disconnects: Array<string | undefined> = [];
    client.on("disconnect", (error) => disconnects.push(error?.code));
    const echoes: number[] = [];
    client.on("message", (m) => echoes.push(m.sequence));
    await client.connect();
    await until(() => heartbeats.length >= 3, "three heartbeats processed");
    for (let n = 1; n <= 3; n++) client.send(binaryData(n));
    // The echo of 3 follows the acknowledgement of every frame before it, heartbeats included.
    await until(() => echoes.includes(3), "the echo of message 3");
    client.send(binaryData(4));
    await until(() => echoes.includes(4), "the echo of message 4");
    expect(disconnects).toEqual([]);
    expect(client.state).toBe("connected");
    expect(client.stats.reconnects).toBe(0);
    expect(atServer).toEqual([1, 2, 3, 4]);
    expect(echoes).toEqual([1, 2, 3, 4]);
  }, 10_000);

  it("a server acknowledging more than was sent breaks the session: the connection closes with INVALID_FORMAT", async () => {
    const port = await startRawServer((socket) => {
      const conn = new Connection(socket, binary);
      onCleanup(() => conn.destroy());
      const say = (kind: number, payload: ControlPayload) =>
        conn.sendControl(binaryControl.encode(kind, payload));
      conn.attachSession({
        sent: () => undefined,
        sendAfterClose: () => false,
        control: (frame) => {
          if (frame.kind !== CONTROL_KIND.hello) return;
          say(CONTROL_KIND.welcome, { id: "s1", received: 0, resumed: false });
          say(CONTROL_KIND.ack, { received: 5 }); // nothing was sent
        },
      });
    });
    const client = sessionClient(port, { maxRetries: 0 });
    const disconnects: Array<TaurusError | undefined> = [];
    client.on("disconnect", (error) => disconnects.push(error));
    await client.connect();
    await until(() => disconnects.length === 1, "the connection closed");
    expect(disconnects[0]?.code).toBe("INVALID_FORMAT");
    expect(disconnects[0]?.message).toContain("bad ack count");
  });
});
