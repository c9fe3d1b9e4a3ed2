// When the client acknowledges: every `ackEvery` delivered messages, and the rest within
// `ackInterval`, also right after an acknowledgement by count (the interval's timer then
// stays armed instead of being created again for every acknowledgement).
import {
  CONTROL_KIND,
  Connection,
  type ControlFrame,
  type ControlPayload,
} from "@taurus/core-conn";
import { type BinaryMessage, binaryControl } from "@taurus/protocol-binary";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client";
import {
  binary,
  binaryData,
  onCleanup,
  runCleanups,
  startRawServer,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

/** A raw server that grants every hello a session and records the control frames it gets. */
async function grantingServer() {
  const controls: ControlFrame[] = [];
  let peer: Connection<BinaryMessage> | undefined;
  const say = (conn: Connection<BinaryMessage>, kind: number, payload: ControlPayload) =>
    conn.sendControl(binaryControl.encode(kind, payload));
  const port = await startRawServer((socket) => {
    const conn = new Connection(socket, binary);
    onCleanup(() => conn.destroy());
    conn.attachSession({
      sent: () => undefined,
      sendAfterClose: () => false,
      control: (frame) => {
        controls.push(frame);
        if (frame.kind === CONTROL_KIND.hello) {
          say(conn, CONTROL_KIND.welcome, { id: "s1", received: 0, resumed: false });
          peer = conn;
        }
      },
    });
  });
  return { port, controls, peer: () => peer };
}

describe("client session acknowledgements", () => {
  it("acknowledge every ackEvery messages, and what follows an acknowledgement within ackInterval", async () => {
    const server = await grantingServer();
    const got: number[] = [];
    const client = createClient<BinaryMessage>({
      address: { host: "127.0.0.1", port: server.port },
      protocol: binary,
      session: { ackEvery: 2, ackInterval: 50 },
      handler: { onMessage: (m) => void got.push(m.sequence) },
    });
    onCleanup(() => client.close());
    await client.connect();
    await until(() => server.peer() !== undefined, "session granted");
    const peer = server.peer() as Connection<BinaryMessage>;
    const acks = () =>
      server.controls.filter((c) => c.kind === CONTROL_KIND.ack).map((c) => c.payload.received);
    for (let i = 1; i <= 3; i++) peer.send(binaryData(i));
    await until(() => got.length === 3, "three messages");
    // 2 by count at once; the third within the interval, though the count acknowledged first.
    await until(() => acks().includes(3), "the third acknowledged");
    expect(acks()).toEqual([2, 3]);
    // Later messages are acknowledged too (the timer is armed again after it fired).
    peer.send(binaryData(4));
    await until(() => acks().includes(4), "the fourth acknowledged");
    expect(acks()).toEqual([2, 3, 4]);
  });
});
