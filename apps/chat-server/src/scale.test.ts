// Scale out, end to end: the built chat-server as real processes. --workers N forks workers
// joined through the primary's IPC; --redis joins separate instances through a real
// redis-server of the test's own.

import { startRedis, type TestRedis } from "@taurus/adapter-redis/testing";
import { until as waitUntil } from "@taurus/core-conn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  exchange,
  type Peer,
  peer,
  probe,
  scrape,
  serving,
  startChatServer,
  stderrOf,
  until,
} from "./test-chat";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Peers alternating JSON and binary, `n` of them on each port pair. */
async function peers(ports: Array<{ json: number; binary: number }>, n: number): Promise<Peer[]> {
  const out: Peer[] = [];
  for (const p of ports) {
    for (let i = 0; i < n; i++) {
      out.push(
        await peer(i % 2 === 0 ? p.json : p.binary, i % 2 === 0 ? "json" : "binary", cleanups),
      );
    }
  }
  return out;
}

const workerPids = (logs: Array<Record<string, unknown>>): number[] =>
  logs.filter((l) => l.msg === "worker listening").map((l) => l.pid as number);

describe("chat-server --workers", () => {
  it("joins the workers' rooms through the primary: every peer sees every message once, a killed worker leaves the rest serving", async () => {
    const server = await startChatServer(["--workers", "2", "--log-level", "debug"], cleanups);
    const all = await peers([server], 8);
    await until(() => workerPids(server.logs).length === 2);
    await serving(server.metrics, 8);
    // The workers accept from shared sockets (the kernel spreads connections, not the
    // primary): under load one may win a run of them. More peers until both have some.
    const instances = async (): Promise<Array<{ pid: number; connections: number }>> => {
      const res = await fetch(`http://127.0.0.1:${server.metrics}/readyz`);
      const detail = (await res.json()) as {
        instances?: Array<{ pid: number; connections: number }>;
      };
      return detail.instances ?? [];
    };
    const perWorker = async (): Promise<number[]> => (await instances()).map((i) => i.connections);
    while ((await perWorker()).filter((n) => n > 0).length < 2 && all.length < 64) {
      all.push(...(await peers([server], 2)));
      await serving(server.metrics, all.length);
    }
    await exchange(all, "ipc");

    const metrics = await scrape(server.metrics);
    // Both workers serve connections, labelled by instance.
    const current = new Map<string, number>();
    for (const m of metrics.matchAll(
      /taurus_connections_current\{instance="(\w+)",protocol="(json|binary)"\} (\d+)/g,
    )) {
      current.set(m[1]!, (current.get(m[1]!) ?? 0) + Number(m[3]));
    }
    expect(current.size).toBe(2);
    expect([...current.values()].every((n) => n > 0)).toBe(true);
    expect(metrics).toMatch(/taurus_backplane_relayed_total [1-9]/);
    expect(metrics).toMatch(/taurus_backplane_published_total\{instance="\w+"\} [1-9]/);
    expect(metrics).toMatch(/taurus_backplane_received_total\{instance="\w+"\} [1-9]/);

    // One worker dies: its peers are cut off, the others keep chatting. Each of its peers
    // learns of the cut on its own; wait for all of them, not the first.
    const victim = workerPids(server.logs)[0]!;
    const cut = (await instances()).find((i) => i.pid === victim)?.connections ?? 0;
    expect(cut).toBeGreaterThan(0);
    process.kill(victim, "SIGKILL");
    await until(() => all.filter((p) => p.closed).length === cut);
    const alive = all.filter((p) => !p.closed);
    expect(alive.length).toBeGreaterThan(0);
    await exchange(alive, "after-kill");
    // The primary starts another worker, which joins the room.
    await until(() => workerPids(server.logs).length === 3);
    const fresh = await peers([server], 4);
    await serving(server.metrics, alive.length + 4);
    await probe([...alive, ...fresh]);
    await exchange([...alive, ...fresh], "restarted");
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);
});

describe("chat-server --redis", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("joins three instances (one of them two workers): exactly once; one killed, Redis restarted, they recover", async () => {
    // Each join announced at once (--notice-interval 0), so the backplane counts are exact.
    const args = ["--redis", redis.url, "--notice-interval", "0"];
    const a = await startChatServer(args, cleanups);
    const b = await startChatServer(args, cleanups);
    const c = await startChatServer([...args, "--workers", "2"], cleanups);
    const onA = await peers([a], 2);
    const onB = await peers([b], 2);
    const onC = await peers([c], 4);
    await serving(a.metrics, 2);
    await serving(b.metrics, 2);
    await serving(c.metrics, 4);
    // a published its 2 joins and received the 6 of the others before anyone speaks.
    const backplaneOfA = async () => {
      const text = await scrape(a.metrics);
      const count = (name: string) =>
        Number(new RegExp(`${name}\\{instance="\\w+"\\} (\\d+)`).exec(text)?.[1] ?? -1);
      return {
        published: count("taurus_backplane_published_total"),
        received: count("taurus_backplane_received_total"),
      };
    };
    // /metrics is cached for a second: poll until the counts reach what is due, then check
    // they stop there.
    const settled = async (published: number, received: number) => {
      let seen = await backplaneOfA();
      const due = async () => {
        seen = await backplaneOfA();
        return seen.published >= published && seen.received >= received;
      };
      await waitUntil(due, { timeout: 10_000, interval: 100 }).catch(() => undefined);
      return seen; // checked exactly by the caller
    };
    expect(await settled(2, 6)).toEqual({ published: 2, received: 6 });
    await exchange([...onA, ...onB, ...onC], "redis");

    // exchange: 3 messages and a sentinel per peer (a's 2 peers publish, all 6 are received).
    expect(await settled(2 + 6 + 2, 6 + 18 + 6)).toEqual({
      published: 2 + 6 + 2,
      received: 6 + 18 + 6,
    });
    const metricsA = await scrape(a.metrics);
    expect(metricsA).toMatch(/taurus_backplane_connected\{instance="\w+"\} 1/);
    // onA: one JSON peer and one binary peer, a join, 3 messages and a sentinel each.
    expect(metricsA).toContain('\ntaurus_messages_received_total{protocol="json"} 5\n');
    expect(metricsA).toContain('\ntaurus_messages_received_total{protocol="binary"} 5\n');
    const metricsC = await scrape(c.metrics);
    expect([...metricsC.matchAll(/taurus_backplane_connected\{instance="\w+"\} 1/g)]).toHaveLength(
      2,
    );

    // Instance b is killed: the others go on.
    b.proc.kill("SIGKILL");
    await until(() => onB.every((p) => p.closed));
    const rest = [...onA, ...onC];
    await exchange(rest, "b-killed");

    // Redis restarts: each instance keeps serving its own peers, then they join again.
    await redis.stop();
    onA[0]!.send({ type: 2, sequence: 1, from: "a", to: "", content: "local-only" });
    await until(() => onA[1]!.inbox.some((m) => m.content === "local-only"));
    await redis.restart();
    await probe(rest);
    await exchange(rest, "redis-back");
    expect(await scrape(a.metrics)).toMatch(/taurus_backplane_connected\{instance="\w+"\} 1/);

    expect(await a.stop(), stderrOf(a)).toBe(0);
    expect(await c.stop(), stderrOf(c)).toBe(0);
  }, 90_000);
});
