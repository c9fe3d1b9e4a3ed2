import type { Worker } from "node:cluster";
import { EventEmitter } from "node:events";
import { until as waitUntil } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { IpcAdapter, IpcRelay } from "./ipc-adapter";

const bounds = { maxMessages: 1000, maxBytes: 1 << 20 };

/** One worker's IPC channel, both ends, in memory; `seen` lists what reached the worker. */
function pipe() {
  const proc = new EventEmitter() as EventEmitter & {
    connected: boolean;
    send: (m: unknown, h: unknown, o: unknown, cb: (e: Error | null) => void) => boolean;
  };
  const worker = new EventEmitter() as EventEmitter & {
    isConnected: () => boolean;
    send: (m: unknown, h: unknown, cb: (e: Error | null) => void) => boolean;
  };
  const seen: Array<{ t: string; channel?: string }> = [];
  const sent: Array<{ t: string; channel?: string; tick?: true }> = [];
  proc.connected = true;
  proc.send = (m, _h, _o, cb) => {
    sent.push(m as { t: string; channel?: string; tick?: true });
    setImmediate(() => {
      worker.emit("message", m);
      cb(null);
    });
    return true;
  };
  worker.isConnected = () => true;
  worker.send = (m, _h, cb) => {
    setImmediate(() => {
      seen.push(m as { t: string; channel?: string });
      proc.emit("message", m);
      cb(null);
    });
    return true;
  };
  return {
    proc: proc as unknown as NodeJS.Process,
    worker: worker as unknown as Worker,
    seen,
    sent,
  };
}

/** The shared `until` of `@taurus/core-conn/testing`, with this file's default timeout. */
const until = (predicate: () => boolean, timeout = 5000): Promise<void> =>
  waitUntil(predicate, { timeout });

describe("IPC relay with per-room channels", () => {
  it("sends a worker only the channels it has members in; a rejoin counts nothing lost", async () => {
    const relay = new IpcRelay(bounds);
    const pipes = [pipe(), pipe(), pipe()];
    const adapters = pipes.map((p) => {
      relay.add(p.worker);
      return new IpcAdapter(bounds, p.proc);
    });
    const [a, b, c] = adapters as [IpcAdapter, IpcAdapter, IpcAdapter];
    const got: Record<string, string[]> = { a: [], b: [], c: [] };
    const member = (adapter: IpcAdapter, who: string, channel: string) =>
      adapter.join(channel, (payload) => void got[who]?.push(Buffer.from(payload).toString()));
    try {
      const onA = member(a, "a", "chat#lobby");
      let onB = member(b, "b", "chat#lobby");
      member(c, "c", "chat#kitchen");
      await until(
        () => relay.listeners("chat#lobby") === 2 && relay.listeners("chat#kitchen") === 1,
      );

      onA.publish(Buffer.from("hello lobby"));
      await until(() => got.b?.length === 1);
      expect(got.b).toEqual(["hello lobby"]);
      // c has no member in the lobby: the relay never wrote the lobby's traffic to it.
      const pipeC = pipes[2] as ReturnType<typeof pipe>;
      expect(pipeC.seen.filter((m) => m.channel === "chat#lobby")).toEqual([]);
      expect(c.stats().received).toBe(0);

      // b's last member leaves: b stops getting the lobby, and the relay knows.
      onB.leave();
      await until(() => relay.listeners("chat#lobby") === 1);
      for (let i = 0; i < 5; i++) onA.publish(Buffer.from(`while b was away ${i}`));
      onB = member(b, "b", "chat#lobby");
      await until(() => relay.listeners("chat#lobby") === 2);
      onA.publish(Buffer.from("welcome back"));
      await until(() => got.b?.includes("welcome back") === true);
      expect(got.b).toEqual(["hello lobby", "welcome back"]);
      // b missed 5 messages of a room it was not in: not a loss.
      expect(b.stats().lost).toBe(0);
      expect(relay.stats().dropped).toBe(0);
    } finally {
      for (const adapter of adapters) await adapter.close();
    }
  });

  it("ticks only the channels with a member here, not one published on in passing", async () => {
    const relay = new IpcRelay(bounds);
    const p = pipe();
    relay.add(p.worker);
    const adapter = new IpcAdapter(bounds, p.proc);
    try {
      const lobby = adapter.join("chat#lobby", () => undefined);
      lobby.publish(Buffer.from("kept"));
      // A message to a user elsewhere: joined, published once, left.
      const passing = adapter.join("chat#@bob", () => undefined);
      passing.publish(Buffer.from("hi bob"));
      passing.leave();
      await until(() => p.sent.some((m) => m.tick && m.channel === "chat#lobby"), 10_000);
      expect(p.sent.filter((m) => m.tick && m.channel === "chat#@bob")).toEqual([]);
      expect(p.sent.filter((m) => m.t !== "backplane")).toEqual([
        { t: "listen", channel: "chat#lobby" },
        { t: "listen", channel: "chat#@bob" },
        { t: "unlisten", channel: "chat#@bob" },
      ]);
    } finally {
      await adapter.close();
    }
  });
});
