import type { SessionLostInfo } from "@taurus/core-conn";
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { createServer } from "../server";
import { onCleanup, until } from "../test-helpers";
import { MemorySessionStore } from "./store";

describe("a shared store's abandoned sessions", () => {
  it("are reported lost once their resume window passed, with what may be lost", async () => {
    const store = new MemorySessionStore({ shared: true }); // as Redis would be
    // Left by a server that died: detached, 3 frames unacknowledged, 5 received.
    await store.create({
      id: "orphan",
      received: 5,
      sent: 7,
      acknowledged: 4,
      pending: [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)],
      address: "127.0.0.9",
      expiresAt: Date.now() + 50,
    });
    const server = createServer({
      protocol: createBinaryProtocol(),
      sessions: { store, resumeWindow: 100 },
    });
    const lost: SessionLostInfo[] = [];
    server.on("sessionLost", (info) => lost.push(info));
    await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    await until(() => lost.length > 0, { what: "the orphan reported", timeout: 5_000 });
    expect(lost).toEqual([{ id: "orphan", reason: "expired", unacknowledged: 3, received: 5 }]);
    expect(await store.count()).toBe(0);
  });
});
