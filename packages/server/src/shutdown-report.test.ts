// What a forced shutdown tells the peer (a reset, not a clean end) and the caller (what was discarded).
import net from "node:net";
import { describe, expect, it } from "vitest";
import { createServer } from "./server";
import { binary, msg, onCleanup, until } from "./test-helpers";

describe("shutdown deadline", () => {
  it("resets a slow reader and reports what it still held; a fast reader gets everything and a clean end", async () => {
    const server = createServer({
      protocol: binary,
      rateLimit: Infinity,
      // Long enough for the fast reader to take 20 MB on a loaded machine; the slow one
      // (a chunk per 20 ms, about 3 MB/s) needs several seconds more.
      shutdownTimeout: 2000,
      sendQueueSize: 100_000,
      sendQueueBytes: 64 * 2 ** 20,
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const slow = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
    const reader = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.3" });
    onCleanup(() => slow.destroy());
    onCleanup(() => reader.destroy());
    // Reads one chunk every 20 ms: far slower than the server writes.
    let slowBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    onCleanup(() => clearTimeout(timer));
    slow.on("data", (chunk: Buffer) => {
      slowBytes += chunk.length;
      slow.pause();
      timer = setTimeout(() => slow.resume(), 20);
    });
    let readerBytes = 0;
    reader.on("data", (chunk: Buffer) => {
      readerBytes += chunk.length;
    });
    const outcome = (s: net.Socket) =>
      new Promise<string>((resolve) => {
        s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
        s.once("end", () => resolve("end"));
      });
    const slowOutcome = outcome(slow);
    const readerOutcome = outcome(reader);
    slow.on("end", () => slow.end());
    reader.on("end", () => reader.end());
    await until(() => server.connectionCount === 2);
    const frame = msg(1, "x".repeat(1000));
    const frameBytes = binary.encode(frame).length;
    const count = 20_000; // about 20 MB: far more than the slow peer's socket buffers take
    for (let i = 0; i < count; i++) server.broadcast(frame);

    const report = await server.close();
    expect(report.forced).toBe(1);
    expect(report.closed).toBe(1);
    expect(report.discarded).toHaveLength(1);
    const [lost] = report.discarded;
    expect(lost?.remoteAddress).toBe("127.0.0.2");
    expect(lost?.remotePort).toBe(slow.localPort);
    expect(lost?.messages).toBeGreaterThan(0);
    expect(lost?.bytes).toBeGreaterThanOrEqual((lost?.messages ?? 0) * frameBytes);
    expect(await slowOutcome).toBe("ECONNRESET");
    expect(slowBytes).toBeLessThan(count * frameBytes);
    expect(await readerOutcome).toBe("end");
    expect(readerBytes).toBe(count * frameBytes);
  });
});
