// Closing a session client while its hello waits for the server's answer: the
// connection that carries the hello is not the live one yet, and must go too.
import type net from "node:net";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { afterEach, describe, expect, it } from "vitest";
import type { TaurusClient } from "../client";
import {
  binary,
  binaryData,
  rejection,
  runCleanups,
  sessionClient,
  startRawServer,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

type End = (client: TaurusClient<BinaryMessage>, abort: () => void) => unknown;

/** Each way to close, and the code the pending `connect()` rejects with. */
const ways: Array<[string, End, string]> = [
  ["close()", (client) => client.close(), "CONNECTION_CLOSED"],
  ["destroy()", (client) => client.destroy(), "CONNECTION_CLOSED"],
  ["an aborted connect({ signal })", (_client, abort) => abort(), "ABORTED"],
];

describe("closing while the session hello waits for its answer", () => {
  it.each(ways)(
    "%s destroys the connection that carries the hello",
    async (_name, end, code) => {
      // A server that reads the hello and never answers it.
      const sockets = new Set<net.Socket>();
      let helloBytes = 0;
      const port = await startRawServer((socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("data", (chunk: Buffer) => {
          helloBytes += chunk.length;
        });
      });
      const client = sessionClient(port, { session: { helloTimeout: 60_000 } });
      const delivered: number[] = [];
      client.on("message", (m) => delivered.push(m.sequence));
      const controller = new AbortController();
      const connecting = rejection(client.connect({ signal: controller.signal }));
      await until(() => helloBytes > 0, "the hello received");
      await end(client, () => controller.abort());
      expect(client.state).toBe("closed");
      expect((await connecting).code).toBe(code);
      // The server's side of the socket sees the client go, and nothing reaches the closed client.
      for (const socket of sockets) socket.write(binary.encode(binaryData(42)));
      await until(() => sockets.size === 0, "the server's socket closed");
      expect(delivered).toEqual([]);
    },
    10_000,
  );
});
