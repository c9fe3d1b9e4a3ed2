import net from "node:net";
import { describe, expect, it } from "vitest";
import { startCuttingProxy } from "./cutting-proxy";
import { onCleanup, until } from "./harness";

/** A server that records what each connection received and whether it was closed. */
async function sink(): Promise<{ port: number; received: Buffer[]; closed: number }> {
  const state = { port: 0, received: [] as Buffer[], closed: 0 };
  const server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on("error", () => {});
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("close", () => {
      state.received.push(Buffer.concat(chunks));
      state.closed++;
    });
    socket.write(Buffer.alloc(7, 0x61)); // downstream bytes too
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as net.AddressInfo).port;
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

describe("cutting proxy", () => {
  it("forwards exactly the byte budget, mid-chunk, then resets both sides", async () => {
    const target = await sink();
    // Always the upstream direction (random() < 0.5), a budget of 10 bytes, no timer cut.
    const proxy = await startCuttingProxy({
      target: target.port,
      bytes: [10, 10],
      millis: [60_000, 60_000],
      random: () => 0,
    });
    onCleanup(() => proxy.close());
    const client = net.connect({ host: "127.0.0.1", port: proxy.port });
    const got: Buffer[] = [];
    let clientClosed = false;
    client.on("error", () => {});
    client.on("data", (c: Buffer) => got.push(c));
    client.on("close", () => {
      clientClosed = true;
    });
    await until(() => Buffer.concat(got).length === 7, 5_000, "downstream bytes");
    client.write(Buffer.alloc(25, 0x62));
    await until(() => target.closed === 1 && clientClosed, 5_000, "both sides cut");
    expect(target.received[0]).toEqual(Buffer.alloc(10, 0x62));
    expect(proxy.cuts).toEqual({ upstream: 1, downstream: 0, timed: 0, total: 1 });
  });

  it("with cutting off, forwards everything and cuts nothing", async () => {
    const target = await sink();
    const proxy = await startCuttingProxy({
      target: target.port,
      bytes: [1, 1],
      millis: [1, 1],
    });
    onCleanup(() => proxy.close());
    proxy.setCutting(false);
    const client = net.connect({ host: "127.0.0.1", port: proxy.port });
    client.on("error", () => {});
    await new Promise<void>((resolve) => client.once("connect", resolve));
    client.end(Buffer.alloc(1000, 0x63));
    await until(() => target.closed === 1, 5_000, "target closed");
    expect(target.received[0]!.length).toBe(1000);
    expect(proxy.cuts.total).toBe(0);
    client.destroy();
  });
});
