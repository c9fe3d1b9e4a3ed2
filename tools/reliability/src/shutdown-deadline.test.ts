// SIGTERM to chat-server with slow readers behind: everyone gets a notice; whoever drains
// by --shutdown-timeout gets everything and a clean end; whoever does not is reset (not a
// clean end: it can tell it was cut off) and is listed, with what it lost, in the log.
import { describe, expect, it } from "vitest";
import { chatClient, logged, startChat } from "./chat-process";
import { record, scale, until } from "./harness";

interface Discarded {
  remotePort: number;
  messages: number;
  bytes: number;
}

describe("graceful shutdown of chat-server with slow readers", () => {
  it("fast readers get everything and a clean end; slow ones are reset at the deadline and reported", async () => {
    const deadline = scale(1_000, 10_000);
    // The write deadline (5 s by default) would evict the slow readers as slow consumers
    // before the shutdown deadline (10 s at stress scale): here the shutdown deadline cuts.
    const server = await startChat([
      "--shutdown-timeout",
      `${deadline}ms`,
      "--write-timeout",
      `${deadline * 10}ms`,
      // 50 slow readers from one address at stress scale: past the per-address defaults.
      "--max-connections-per-address",
      "1000",
      "--connection-rate-per-address",
      "inf",
    ]);
    const slowCount = scale(5, 50);
    const fastCount = scale(5, 10);
    // 127.0.0.2: slow readers (one chunk every few hundred ms); 127.0.0.3: fast ones.
    const slow = await Promise.all(
      Array.from({ length: slowCount }, () =>
        chatClient(server.json, { localAddress: "127.0.0.2", slow: scale(200, 500) }),
      ),
    );
    const fast = await Promise.all(
      Array.from({ length: fastCount }, () =>
        chatClient(server.json, { localAddress: "127.0.0.3" }),
      ),
    );
    const writer = fast[0]!;
    // 800 of 16 KiB: 13 MB for each reader, more than the kernel's socket buffers take and
    // within a connection's send queue.
    const count = 800;
    for (let n = 1; n <= count; n++) writer.send(`${n}:${"x".repeat(16_384)}`);
    await until(() => fast.every((c) => c.inbox.length === count), 30_000, "fast readers done");
    const stopping = Date.now();
    const exited = server.stop();
    const all = [...slow, ...fast];
    await until(
      () => all.every((c) => c.ended !== undefined),
      deadline + 30_000,
      "every reader ended",
    );
    const tookMs = Date.now() - stopping;
    expect(await exited).toBe(0);
    const stopped = await logged(server, "stopped");
    const began = await logged(server, "shutting down");
    const serverMs = Date.parse(String(stopped.time)) - Date.parse(String(began.time));
    const discarded = stopped.discarded as Discarded[];
    const notice = "server shutting down: reconnect to carry on";
    // Complete: everything, the notice, a clean end. Anyone else was cut off at the deadline.
    const complete = all.filter(
      (c) => c.ended === "end" && c.inbox.length === count && c.notices.at(-1) === notice,
    );
    const cut = all.filter((c) => !complete.includes(c));
    const reset = cut.filter((c) => c.ended === "ECONNRESET");
    // Every reader cut off is listed, and lost at least what the server says it discarded.
    let underReported = 0;
    for (const c of cut) {
      const entry = discarded.find((d) => d.remotePort === c.port);
      const missed = count - c.inbox.length;
      if (!entry || missed < entry.messages) underReported++;
    }
    record("shutdown-slow-readers", {
      group: "Scale-out",
      title: "chat-server SIGTERM with slow readers behind",
      load: `${count} messages of 16 KiB broadcast to ${slowCount} slow readers (127.0.0.2) and ${fastCount} fast ones (127.0.0.3)`,
      faults: `SIGTERM; --shutdown-timeout ${deadline / 1000} s`,
      badInputs: "none",
      lost: underReported,
      lostUnit: "readers cut off without being reported",
      observed: {
        serverShutdownMs: serverMs,
        lastReaderEndedMs: tookMs,
        complete: complete.length,
        cutOff: cut.length,
        cutOffSawReset: reset.length,
        cutOffSawEnd: cut.length - reset.length,
        forced: stopped.forced,
        discardedMessages: stopped.discardedMessages,
        discardedBytes: stopped.discardedBytes,
        slowReceived: slow.map((c) => c.inbox.length),
      },
    });
    expect(fast.every((c) => complete.includes(c))).toBe(true);
    expect(cut.length).toBeGreaterThan(0);
    expect(stopped.forced).toBe(cut.length);
    expect(underReported).toBe(0);
    expect(stopped.discardedMessages).toBeGreaterThan(0);
    // The reset reaches those still reading; one whose kernel buffers were full when it
    // came may see them, then an end of stream (Linux), short of messages all the same.
    expect(reset.length).toBeGreaterThan(0);
  }, 180_000);
});
