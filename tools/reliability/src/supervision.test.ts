// chat-server --workers under faults: a worker killed under load, workers that cannot
// start (port taken for a while, and for good), and a worker frozen while the primary's
// IPC relay floods it (bounded, drops counted).
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { restartablePort } from "@taurus/adapter-redis/testing";
import { describe, expect, it } from "vitest";
import {
  type ChatClient,
  type ChatProcess,
  chatClient,
  inOrderOnce,
  metrics,
  numbers,
  readyz,
  rss,
  sender,
  startChat,
} from "./chat-process";
import { onCleanup, record, STRESS, scale, sleep, until } from "./harness";

interface Instance {
  pid: number;
  connections: number;
}

async function instances(server: ChatProcess): Promise<Instance[]> {
  const { detail } = await readyz(server.metrics);
  return (detail.instances as Instance[] | undefined) ?? [];
}

/** Connects a client and finds the worker that took it. */
async function clientOn(server: ChatProcess): Promise<{ client: ChatClient; pid: number }> {
  const before = await instances(server);
  const client = await chatClient(server.json);
  let pid = 0;
  for (let i = 0; i < 200 && pid === 0; i++) {
    const now = await instances(server);
    const grown = now.find(
      (w) => w.connections > (before.find((b) => b.pid === w.pid)?.connections ?? 0),
    );
    if (grown) pid = grown.pid;
    else await sleep(50);
  }
  if (pid === 0) throw new Error("could not tell which worker took the connection");
  return { client, pid };
}

describe("chat-server --workers under faults", () => {
  it("a worker killed (SIGKILL) under load: the others lose nothing, its clients reconnect, it is replaced, readiness tells", async () => {
    const server = await startChat([
      "--workers",
      "2",
      "--json-port",
      String(await restartablePort()),
    ]);
    const { client: writer, pid: keep } = await clientOn(server);
    const readers: Array<{ client: ChatClient; pid: number }> = [];
    const wanted = scale(10, 40);
    while (readers.length < wanted || !readers.some((r) => r.pid !== keep)) {
      readers.push(await clientOn(server));
      if (readers.length > 100) throw new Error("every connection went to one worker");
    }
    const victim = readers.find((r) => r.pid !== keep)?.pid as number;
    const load = sender(writer, 2);
    await until(() => readers.every((r) => r.client.inbox.length > 100), 15_000, "traffic");
    const killedAt = Date.now();
    process.kill(victim, "SIGKILL");
    const cut = readers.filter((r) => r.pid === victim);
    const kept = readers.filter((r) => r.pid !== victim);
    await until(() => cut.every((r) => r.client.ended !== undefined), 10_000, "cut off");
    // They come back: on the other worker at once, or on the new one.
    const reconnectMs: number[] = [];
    const back: ChatClient[] = [];
    for (const _ of cut) {
      const started = Date.now();
      back.push(await chatClient(server.json));
      reconnectMs.push(Date.now() - started);
    }
    const notReady = await readyz(server.metrics);
    let readyAgainMs = 0;
    for (;;) {
      const r = await readyz(server.metrics);
      if (r.status === 200) {
        readyAgainMs = Date.now() - killedAt;
        break;
      }
      if (Date.now() - killedAt > 20_000)
        throw new Error(`never ready again: ${JSON.stringify(r)}`);
      await sleep(50);
    }
    const sentAfter = load.sent;
    await until(
      () => back.every((c) => (numbers(c).at(-1) ?? 0) > sentAfter),
      15_000,
      "served again",
    );
    load.stop();
    await until(() => kept.every((r) => r.client.inbox.length >= load.sent), 15_000, "drained");
    const keptMissing = kept.reduce((n, r) => n + (load.sent - r.client.inbox.length), 0);
    const m = await metrics(server.metrics);
    record("worker-kill", {
      group: "Scale-out",
      title: "--workers 2: a worker killed (SIGKILL) under load",
      load: `1 client sending a message every 2 ms, ${readers.length} reading, spread over 2 workers`,
      faults: "SIGKILL of the worker not holding the sender",
      badInputs: "none",
      lost: keptMissing,
      lostUnit: "messages missed by clients of the surviving worker",
      observed: {
        sent: load.sent,
        clientsCut: cut.length,
        reconnectMsMax: Math.max(...reconnectMs),
        readyzRightAfter: notReady.status,
        readyAgainMs,
        restarts: m.taurus_worker_restarts_total,
        lost: m.taurus_backplane_lost_total ?? 0,
      },
    });
    expect(keptMissing).toBe(0);
    expect(kept.every((r) => inOrderOnce(numbers(r.client)))).toBe(true);
    expect(m.taurus_worker_restarts_total).toBe(1);
    expect(await server.stop()).toBe(0);
  }, 120_000);

  it("a worker that cannot start (its port taken for a while) exits non-zero, is restarted with backoff, and serves once the port is free", async () => {
    const port = await restartablePort();
    const blocker = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    onCleanup(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    // Held until the workers have failed this many times.
    const failures = scale(2, 10);
    let releasedAt = 0;
    const startedAt = Date.now();
    const server = await startChat(
      ["--workers", "2", "--json-port", String(port), "--restart-delay", "100ms"].concat([
        "--restart-max-delay",
        "1s",
        "--crash-limit",
        "50",
      ]),
      (logs) => {
        if (releasedAt > 0) return;
        if (logs.filter((l) => l.msg === "worker exited; starting another").length < failures) {
          return;
        }
        releasedAt = Date.now();
        blocker.close();
      },
    );
    const heldFor = releasedAt - startedAt;
    const servedAfterMs = Date.now() - releasedAt;
    const restarts = server.logs.filter((l) => l.msg === "worker exited; starting another");
    const delays = restarts.map((l) => l.inMs as number);
    record("worker-start-failure", {
      group: "Scale-out",
      title: "--workers 2: workers that cannot start (JSON port taken for a while)",
      load: "none",
      faults: `the JSON port held by another process until the workers had failed ${failures} times (${heldFor} ms)`,
      badInputs: "none",
      lost: 0,
      observed: {
        restarts: restarts.length,
        exitCodes: [...new Set(restarts.map((l) => l.code))],
        delaysMs: delays,
        listeningMsAfterRelease: servedAfterMs,
        error: restarts[0]?.error,
      },
    });
    expect(restarts.length).toBeGreaterThanOrEqual(failures);
    expect(restarts.every((l) => l.code === 1)).toBe(true);
    expect(String(restarts[0]?.error)).toContain("--json-port");
    const client = await chatClient(server.json);
    client.send("1");
    await until(() => client.inbox.length === 1, 10_000, "served");
    expect(await server.stop()).toBe(0);
  }, 120_000);

  it("a crash loop (the port taken for good): chat-server gives up and exits 1 with a clear message", async () => {
    const port = await restartablePort();
    const blocker = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    onCleanup(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const main = fileURLToPath(new URL("../../../apps/chat-server/dist/main.js", import.meta.url));
    const started = Date.now();
    const proc = spawn(
      process.execPath,
      [main, "--host", "127.0.0.1", "--json-port", String(port), "--binary-port", "0"].concat([
        "--metrics-port",
        "0",
        "--workers",
        "2",
        "--restart-delay",
        "100ms",
      ]),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    onCleanup(() => proc.kill("SIGKILL"));
    let stderr = "";
    proc.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
    const ms = Date.now() - started;
    const logs = stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const gaveUp = logs.find((l) => String(l.msg).startsWith("giving up"));
    const restarts = logs.filter((l) => l.msg === "worker exited; starting another").length;
    record("crash-loop", {
      group: "Scale-out",
      title:
        "--workers 2: a crash loop (JSON port taken for good), default limit (5 crashes of a worker within 60 s)",
      load: "none",
      faults: "the JSON port held by another process throughout",
      badInputs: "none",
      lost: 0,
      observed: { exitCode: code, msToGiveUp: ms, restarts, gaveUp },
    });
    expect(code).toBe(1);
    expect(gaveUp).toMatchObject({ level: "error", crashes: 5, flag: "--json-port" });
  }, 120_000);

  it("a worker frozen (SIGSTOP) while the relay floods it: the primary holds a bounded amount, drops and counts the rest", async () => {
    const maxBytes = 4 * 2 ** 20;
    const server = await startChat([
      "--workers",
      "2",
      "--json-port",
      String(await restartablePort()),
      "--relay-max-bytes",
      String(maxBytes),
    ]);
    const { client: writer, pid: writerPid } = await clientOn(server);
    let reader: { client: ChatClient; pid: number } | undefined;
    for (let i = 0; i < 100 && !reader; i++) {
      const c = await clientOn(server);
      if (c.pid !== writerPid) reader = c;
    }
    if (!reader) throw new Error("every connection went to one worker");
    const load = sender(writer, 2, 16_384); // 8 MB/s for the relay to carry
    await until(() => (reader?.client.inbox.length ?? 0) > 100, 15_000, "traffic");
    const primary = server.proc.pid as number;
    const rssBefore = rss(primary);
    const frozenFor = scale(2_000, 20_000);
    process.kill(reader.pid, "SIGSTOP");
    onCleanup(() => {
      try {
        process.kill(reader?.pid as number, "SIGCONT");
      } catch {
        // gone
      }
    });
    let peakRss = rssBefore;
    let peakPending = 0;
    const frozenAt = Date.now();
    const sentAtFreeze = load.sent;
    while (Date.now() - frozenAt < frozenFor) {
      peakRss = Math.max(peakRss, rss(primary));
      const m = await metrics(server.metrics);
      peakPending = Math.max(peakPending, m.taurus_backplane_relay_pending_bytes ?? 0);
      await sleep(100);
    }
    const sentWhileFrozen = load.sent;
    process.kill(reader.pid, "SIGCONT");
    await until(
      () => (numbers(reader.client).at(-1) ?? 0) > sentWhileFrozen,
      30_000,
      "traffic again",
    );
    load.stop();
    let m: Record<string, number> = {};
    const deadline = Date.now() + 30_000;
    for (;;) {
      m = await metrics(server.metrics);
      const accounted = reader.client.inbox.length + (m.taurus_backplane_lost_total ?? 0);
      if (accounted >= load.sent - (m.taurus_backplane_dropped_total ?? 0)) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(m)}`);
      await sleep(200);
    }
    const missed = load.sent - reader.client.inbox.length;
    const counted = (m.taurus_backplane_lost_total ?? 0) + (m.taurus_backplane_dropped_total ?? 0);
    const rssGrowth = peakRss - rssBefore;
    record("relay-frozen-worker", {
      group: "Scale-out",
      title: `--workers 2 (IPC relay): the reading worker frozen for ${frozenFor / 1000} s (SIGSTOP)`,
      load: "1 client sending 500 messages of 16 KiB per second on one worker, 1 reading on the other",
      faults: `SIGSTOP of the reading worker for ${frozenFor / 1000} s; --relay-max-bytes ${maxBytes}`,
      badInputs: "none",
      lost: missed - counted,
      lostUnit: "messages lost without being counted",
      observed: {
        sent: load.sent,
        missed,
        relayDropped: m.taurus_backplane_relay_dropped_total,
        lost: m.taurus_backplane_lost_total,
        peakRelayPendingBytes: peakPending,
        primaryRssBefore: rssBefore,
        primaryRssGrowth: rssGrowth,
        offeredWhileFrozenBytes: (sentWhileFrozen - sentAtFreeze) * 16_384,
      },
    });
    expect(missed).toBe(counted);
    expect(m.taurus_backplane_relay_dropped_total).toBeGreaterThan(0);
    expect(peakPending).toBeLessThanOrEqual(maxBytes);
    expect(inOrderOnce(numbers(reader.client))).toBe(true);
    if (STRESS) expect(rssGrowth).toBeLessThan(64 * 2 ** 20); // 20 s unbounded would be ~160 MB
    expect(await server.stop()).toBe(0);
  }, 180_000);
});
