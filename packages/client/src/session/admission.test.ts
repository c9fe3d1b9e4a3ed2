import { restartablePort } from "@taurus/adapter-redis/testing";
import { startCutProxy } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, identityOf, MemorySessionStore, type SessionStore } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { onCleanup, runCleanups, sessionClient, until } from "../fixtures/harness";

afterEach(runCleanups);

const binary = createBinaryProtocol();
const LOGIN = 9;
const msg = (type: number, n: number): BinaryMessage => ({
  version: 1,
  type,
  sequence: n,
  data: new Uint8Array(2),
});

async function run(store: SessionStore | undefined, restart: boolean): Promise<void> {
  const seen: Array<[number, unknown]> = [];
  const admitted: number[] = [];
  const start = async (port: number) => {
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: store === undefined ? true : { store },
      handler: {
        admit: (first) => {
          admitted.push(first.sequence);
          return first.type === LOGIN
            ? { accept: true, identity: { user: `u${first.sequence}` } }
            : { accept: false, reason: "login first" };
        },
        onMessage: (m, conn) => void seen.push([m.sequence, identityOf(conn)]),
      },
    });
    const address = await server.listen(port, "127.0.0.1");
    onCleanup(() => server.close());
    return { server, port: address.port };
  };
  const first = await start(await restartablePort()); // restarted on its port: below the ephemeral range
  const proxy = await startCutProxy(first.port);
  onCleanup(() => proxy.close());
  const client = sessionClient(proxy.port, {
    handler: { onConnect: (c) => c.send(msg(LOGIN, 7)) },
  });
  const lost: unknown[] = [];
  client.on("sessionLost", (info) => lost.push(info));
  await client.connect();
  for (let i = 1; i <= 10; i++) client.send(msg(1, i));
  await until(() => seen.length === 10, "ten handled");
  if (restart) {
    await first.server.close();
    await start(first.port);
  } else expect(proxy.cut()).toBeGreaterThan(0);
  client.send(msg(1, 11)); // the sentinel, after the resume
  await until(() => seen.length >= 11, "the sentinel handled");
  expect(lost).toEqual([]);
  expect(admitted).toEqual([7]); // the resumed session is not admitted again
  expect(seen.map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(seen.every(([, identity]) => (identity as { user: string }).user === "u7")).toBe(true);
}

describe("sessions with admission", () => {
  it("count the admission message: a resume after a cut redelivers nothing", async () => {
    await run(undefined, false);
  }, 20_000);

  it("keep the admission and identity when another server resumes the session from a shared store", async () => {
    await run(new MemorySessionStore({ shared: true }), true);
  }, 20_000);
});
