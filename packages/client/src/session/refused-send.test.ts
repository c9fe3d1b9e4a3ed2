// A send() refused with SEND_QUEUE_FULL leaves no trace: the session does not count the
// frame (it would be sent after a resume, and shift the counts of what follows), and a
// request's flag is not queued without its frame.
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import type { TaurusClient } from "../client";
import {
  binary,
  binaryData,
  onCleanup,
  rejection,
  runCleanups,
  sessionClient,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

const data = binaryData;

async function setUp() {
  const atServer: number[] = [];
  const server = createServer<BinaryMessage>({
    protocol: binary,
    sessions: true,
    rateLimit: Number.POSITIVE_INFINITY,
    handler: { onMessage: (m) => void atServer.push(m.sequence) },
  });
  const { port } = await server.listen(0, "127.0.0.1");
  onCleanup(() => server.close());
  // Room for two frames, offline as in the connection's send queue.
  const client = sessionClient(port, { sendBufferSize: 2, keepaliveInterval: 0 });
  const sessions: string[] = [];
  client.on("session", (info) => sessions.push(info.resumed ? "resumed" : "new"));
  return { atServer, client, sessions };
}

function refused(client: TaurusClient<BinaryMessage>, n: number): string | undefined {
  try {
    client.send(data(n));
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

/** Cuts the live connection and waits for the session to resume on a new one. */
async function cutAndResume(client: TaurusClient<BinaryMessage>, sessions: string[]) {
  const before = sessions.length;
  client.connection?.destroy();
  await until(() => sessions.length > before, "the session resumed");
  expect(sessions.at(-1)).toBe("resumed");
}

describe("a send refused with SEND_QUEUE_FULL while a session is held or asked for", () => {
  it("offline: the refused message is never sent, not even when the session is granted", async () => {
    const { atServer, client } = await setUp();
    client.send(data(1));
    client.send(data(2));
    expect(refused(client, 3)).toBe("SEND_QUEUE_FULL");
    expect(client.queuedMessages).toBe(2);
    await client.connect();
    client.send(data(4));
    await until(() => atServer.length >= 3, "three messages at the server");
    expect(atServer).toEqual([1, 2, 4]);
  });

  it("live: the refused message is not counted, so a resume sends nothing twice", async () => {
    const { atServer, client, sessions } = await setUp();
    await client.connect();
    client.send(data(1));
    client.send(data(2));
    expect(refused(client, 3)).toBe("SEND_QUEUE_FULL");
    await until(() => atServer.length === 2, "messages 1 and 2 at the server");
    client.send(data(4));
    await until(() => atServer.length === 3, "message 4 at the server");
    await cutAndResume(client, sessions);
    client.send(data(5));
    await until(() => atServer.includes(5), "message 5 at the server");
    expect(atServer).toEqual([1, 2, 4, 5]);
  });

  it("live: a refused request leaves neither its flag in the send queue nor its frame in the session", async () => {
    const { atServer, client, sessions } = await setUp();
    await client.connect();
    client.send(data(1));
    // The request needs two frames (its flag, then itself): one is left.
    const request = rejection(client.request(data(0), { timeout: 10_000 }));
    // Refused at once (nothing was written out since message 1 was queued).
    expect(client.connection?.queuedMessages).toBe(1);
    expect((await request).code).toBe("SEND_QUEUE_FULL");
    await until(() => atServer.length === 1, "message 1 at the server");
    client.send(data(3));
    await until(() => atServer.length === 2, "message 3 at the server");
    await cutAndResume(client, sessions);
    client.send(data(4));
    await until(() => atServer.includes(4), "message 4 at the server");
    expect(atServer).toEqual([1, 3, 4]);
  });
});
