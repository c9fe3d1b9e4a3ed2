import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startCutProxy } from "./cut-proxy";
import { until } from "./wait";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** An echo server on 127.0.0.1; closed after the test. */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined).on("close", () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

function connect(port: number): { socket: net.Socket; got: () => string; closed: () => boolean } {
  const socket = net.connect({ host: "127.0.0.1", port });
  let text = "";
  let closed = false;
  socket.on("data", (d) => {
    text += d.toString();
  });
  socket
    .on("error", () => undefined)
    .on("close", () => {
      closed = true;
    });
  cleanups.push(() => socket.destroy());
  return { socket, got: () => text, closed: () => closed };
}

describe("startCutProxy", () => {
  it("forwards both ways, cuts every connection on demand, refuses while held", async () => {
    const proxy = await startCutProxy(await echoServer());
    cleanups.push(() => proxy.close());
    const a = connect(proxy.port);
    a.socket.write("hello");
    await until(() => a.got() === "hello", { what: "the echo" });
    expect(proxy.cut()).toBe(1);
    await until(() => a.closed(), { what: "the cut" });
    expect(proxy.cut()).toBe(0);

    proxy.hold(true);
    const b = connect(proxy.port);
    await until(() => b.closed(), { what: "refused while held" });
    expect(b.got()).toBe("");

    proxy.hold(false);
    const c = connect(proxy.port);
    c.socket.write("again");
    await until(() => c.got() === "again", { what: "served again" });
    await proxy.close();
    await until(() => c.closed(), { what: "closed with the proxy" });
  });
});
