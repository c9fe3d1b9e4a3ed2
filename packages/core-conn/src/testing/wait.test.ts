import { EventEmitter } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connectFrom, nextEvent, until } from "./wait";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("until", () => {
  it("resolves once the predicate holds, sync or async", async () => {
    let n = 0;
    await until(() => ++n === 3, { interval: 1 });
    expect(n).toBe(3);
    let m = 0;
    await until(async () => ++m === 2, { interval: 1 });
    expect(m).toBe(2);
  });

  it("rejects naming what it waited for once the timeout passes", async () => {
    await expect(until(() => false, { timeout: 20, what: "the moon" })).rejects.toThrow(
      "timed out after 20 ms waiting for the moon",
    );
  });
});

describe("nextEvent", () => {
  it("resolves with the first argument, also of an error event", async () => {
    const emitter = new EventEmitter();
    const closed = nextEvent<string>(emitter, "close");
    const failed = nextEvent<Error>(emitter, "error");
    const error = new Error("x");
    emitter.emit("error", error);
    emitter.emit("close", "why");
    expect(await closed).toBe("why");
    expect(await failed).toBe(error);
    expect(emitter.listenerCount("close")).toBe(0);
  });

  it("rejects after its timeout and stops listening", async () => {
    const emitter = new EventEmitter();
    await expect(nextEvent(emitter, "never", { timeout: 10 })).rejects.toThrow(
      "timed out after 10 ms waiting for event never",
    );
    expect(emitter.listenerCount("never")).toBe(0);
  });
});

describe("connectFrom", () => {
  it("connects from another loopback address", async () => {
    const server = net.createServer();
    const peers: string[] = [];
    server.on("connection", (socket) => {
      peers.push(socket.remoteAddress ?? "");
      socket.destroy();
    });
    server.listen(0, "127.0.0.1");
    await nextEvent(server, "listening");
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as net.AddressInfo;
    const socket = await connectFrom("127.0.0.2", port);
    cleanups.push(() => socket.destroy());
    expect(socket.localAddress).toBe("127.0.0.2");
    await until(() => peers.length === 1);
    expect(peers).toEqual(["127.0.0.2"]);
  });

  it("rejects with the socket's error when nothing listens", async () => {
    const probe = net.createServer().listen(0, "127.0.0.1");
    await nextEvent(probe, "listening");
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    await expect(connectFrom("127.0.0.3", port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
