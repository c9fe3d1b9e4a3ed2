// Scale out, end to end: the built chat-server as real processes. --workers N forks workers
// joined through the primary's IPC; --redis joins separate instances through a real
// redis-server of the test's own.

import { startRedis, type TestRedis } from "@taurus/adapter-redis/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  exchange,
  type Peer,
  peer,
  probe,
  scrape,
  serving,
  startChatServer,
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
    const current = [...metrics.matchAll(/taurus_connections_current\{instance="(\w+)"\} (\d+)/g)];
    expect(current).toHaveLength(2);
    expect(current.every((m) => Number(m[2]) > 0)).toBe(true);
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
    expect(await server.stop()).toBe(0);
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
    const a = await startChatServer(["--redis", redis.url], cleanups);
    const b = await startChatServer(["--redis", redis.url], cleanups);
    const c = await startChatServer(["--redis", redis.url, "--workers", "2"], cleanups);
    const onA = await peers([a], 2);
    const onB = await peers([b], 2);
    const onC = await peers([c], 4);
    await serving(a.metrics, 2);
    await serving(b.metrics, 2);
    await serving(c.metrics, 4);
    await exchange([...onA, ...onB, ...onC], "redis");

    const metricsA = await scrape(a.metrics);
    expect(metricsA).toMatch(/taurus_backplane_published_total\{instance="\w+"\} 6/);
    expect(metricsA).toMatch(/taurus_backplane_received_total\{instance="\w+"\} 18/);
    expect(metricsA).toMatch(/taurus_backplane_connected\{instance="\w+"\} 1/);
    expect(metricsA).toMatch(/taurus_messages_received_total 6/);
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

    expect(await a.stop()).toBe(0);
    expect(await c.stop()).toBe(0);
  }, 90_000);
});
