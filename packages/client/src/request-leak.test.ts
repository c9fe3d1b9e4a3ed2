import { setMaxListeners } from "node:events";
import { createSocketPair } from "@taurus/core-conn/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "./client";
import { rejection, seq } from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

afterEach(() => vi.useRealTimers());

describe("request table", () => {
  it("leaks no entry and no timer after 20k timed-out or aborted requests through a client", async () => {
    vi.useFakeTimers();
    const [near, far] = createSocketPair();
    far.resume(); // the peer reads and never answers
    const c = createClient<SeqMessage>({
      address: "127.0.0.1:9",
      protocol: seq,
      connect: () => near,
      idleTimeout: 0,
      maxPendingRequests: 1000,
    });
    await c.connect();
    let timeouts = 0;
    let aborts = 0;
    for (let batch = 0; batch < 20; batch++) {
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      const all: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) {
        const request = c.request(
          { sequence: 0, text: "r" },
          { timeout: 1 + (i % 3), signal: controller.signal },
        );
        all.push(
          rejection(request).then((e) => {
            if (e.code === "REQUEST_TIMEOUT") timeouts++;
            else if (e.code === "ABORTED") aborts++;
          }),
        );
      }
      if (batch % 2 === 1) controller.abort();
      vi.advanceTimersByTime(5);
      await Promise.all(all);
      vi.advanceTimersByTime(5); // let the in-memory socket finish its writes
      expect(c.pendingRequests).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    }
    expect(timeouts + aborts).toBe(20_000);
    expect(aborts).toBe(10_000);
    expect(c.stats.errors.connection).toBe(10_000); // timeouts are counted; aborts are not errors
    vi.useRealTimers();
    await c.close();
  }, 60_000);
});
