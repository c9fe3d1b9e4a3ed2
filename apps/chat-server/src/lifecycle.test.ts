// Starting, failing and restarting, end to end: the built chat-server as real processes.
import net from "node:net";
import { Connection } from "@taurus/core-conn";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { afterEach, describe, expect, it } from "vitest";
import { fromJson, toJson } from "./chat";
import { startChatServer, stderrOf, until } from "./test-chat";
import { holdPort, readyzUntil, runToExit } from "./test-process";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function held(port = 0) {
  const h = await holdPort(port);
  cleanups.push(() => h.release());
  return h;
}

const PORTS = ["--json-port", "0", "--binary-port", "0", "--metrics-port", "0"];
const withPort = (flag: string, port: number) => {
  const args = [...PORTS];
  args[args.indexOf(flag) + 1] = String(port);
  return args;
};
const workerPids = (logs: Array<Record<string, unknown>>): number[] =>
  logs.filter((l) => l.msg === "worker listening").map((l) => l.pid as number);

describe("a port that cannot be bound", () => {
  it.each([["--json-port"], ["--binary-port"], ["--metrics-port"]])(
    "with %s taken, chat-server exits 1 after closing everything, naming the flag",
    async (flag) => {
      const taken = await held();
      const run = await runToExit(withPort(flag, taken.port));
      expect(run.code).toBe(1);
      const failure = run.logs.find((l) => l.msg === "cannot start");
      expect(failure).toMatchObject({ level: "error", flag });
      expect(String(failure?.error)).toContain(`change ${flag}`);
      expect(run.logs.some((l) => l.msg === "listening")).toBe(false);
    },
  );

  it("with --workers, a worker that cannot start exits non-zero and is started again with backoff until it can", async () => {
    const taken = await held();
    const args = [...withPort("--json-port", taken.port), "--workers", "2", "--log-level", "debug"];
    args.push("--restart-delay", "50ms", "--restart-max-delay", "400ms", "--crash-limit", "100");
    // Once a worker has failed three times in a row (its delay, with equal jitter, is then
    // at least twice the longest first delay), the port is freed.
    const server = await startChatServer(args, cleanups, (_entry, logs) => {
      const restarted = logs.filter((l) => l.msg === "worker exited; starting another");
      if (restarted.some((l) => (l.recentCrashes as number) >= 3)) void taken.release();
    });
    const restarts = server.logs.filter((l) => l.msg === "worker exited; starting another");
    expect(restarts.length).toBeGreaterThanOrEqual(2);
    expect(restarts.every((l) => l.code === 1)).toBe(true);
    expect(String(restarts[0]?.error)).toContain("change --json-port");
    const delays = restarts.map((l) => l.inMs as number);
    expect(Math.max(...delays)).toBeGreaterThan(Math.min(...delays)); // backing off
    expect(server.json).toBe(taken.port);
    await readyzUntil(server.metrics, (r) => r.status === 200);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);

  it("with --workers, a crash loop makes chat-server give up and exit 1, naming the flag", async () => {
    const taken = await held();
    const args = [...withPort("--json-port", taken.port), "--workers", "2"];
    args.push("--restart-delay", "20ms", "--crash-limit", "3");
    const run = await runToExit(args);
    expect(run.code).toBe(1);
    const gaveUp = run.logs.find((l) => String(l.msg).startsWith("giving up"));
    expect(gaveUp).toMatchObject({ level: "error", crashes: 3, flag: "--json-port" });
    expect(gaveUp?.hint).toBe("change --json-port");
    expect(run.logs.some((l) => l.msg === "listening")).toBe(false);
  }, 60_000);
});

describe("readiness with --workers", () => {
  it("is not ready while a worker is down or frozen, and says which; ready again once it is back", async () => {
    const args = ["--workers", "2", "--log-level", "debug", "--restart-delay", "1500ms"];
    const server = await startChatServer(args, cleanups);
    await until(() => workerPids(server.logs).length === 2);
    await readyzUntil(server.metrics, (r) => r.status === 200);
    const [first, second] = workerPids(server.logs);
    process.kill(first as number, "SIGKILL");
    const down = await readyzUntil(server.metrics, (r) => r.status === 503);
    expect(down.detail.reasons).toEqual(["1 of 2 workers down"]);
    await readyzUntil(server.metrics, (r) => r.status === 200);

    process.kill(second as number, "SIGSTOP");
    cleanups.push(() => {
      try {
        process.kill(second as number, "SIGCONT");
      } catch {
        // already gone
      }
    });
    const frozen = await readyzUntil(server.metrics, (r) => r.status === 503);
    expect(frozen.detail.reasons).toEqual(["1 of 2 workers not answering"]);
    process.kill(second as number, "SIGCONT");
    await readyzUntil(server.metrics, (r) => r.status === 200);
    const live = await fetch(`http://127.0.0.1:${server.metrics}/livez`);
    expect(live.status).toBe(200);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);

  it("never holds a connection itself: with no worker alive, one is refused or reset, or served once a worker is back", async () => {
    // A fixed port: with port 0, a worker started after all had died would get a new one.
    const free = await held();
    await free.release();
    const args = ["--workers", "1", "--log-level", "debug", "--restart-delay", "600ms"];
    args.push("--json-port", String(free.port));
    const server = await startChatServer(args, cleanups);
    await until(() => workerPids(server.logs).length === 1);
    const [pid] = workerPids(server.logs);
    process.kill(pid as number, "SIGKILL");
    const outcomes: string[] = [];
    const attempts: Array<Promise<void>> = [];
    const started = Date.now();
    while (Date.now() - started < 2500) {
      attempts.push(attempt(server.json).then((o) => void outcomes.push(o)));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await Promise.all(attempts);
    // Every connection had an answer: none was accepted and left hanging.
    expect(outcomes.filter((o) => o === "hanging")).toEqual([]);
    expect(outcomes.some((o) => o === "refused" || o === "reset")).toBe(true);
    expect(outcomes).toContain("served");
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);
});

/** Connects and sends a heartbeat: "served" (pong), "refused", "reset"/"closed", or "hanging" after 5 s. */
function attempt(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const conn = new Connection<JsonMessage>(socket, createJsonProtocol());
    let done = false;
    const finish = (outcome: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish("hanging"), 5000);
    socket.once("error", (e: NodeJS.ErrnoException) =>
      finish(e.code === "ECONNREFUSED" ? "refused" : "reset"),
    );
    conn.on("error", () => {});
    conn.on("close", () => finish("closed"));
    conn.on("message", (m) => {
      if (fromJson(m).content === "pong") finish("served");
    });
    socket.once("connect", () =>
      conn.send(toJson({ type: 3, sequence: 1, from: "probe", to: "", content: "ping" })),
    );
  });
}

describe("readiness with Redis", () => {
  it("is not ready while the backplane is disconnected", async () => {
    const { startRedis } = await import("@taurus/adapter-redis/testing");
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const server = await startChatServer(
      ["--redis", redis.url, "--redis-mode", "streams"],
      cleanups,
    );
    await readyzUntil(server.metrics, (r) => r.status === 200);
    await redis.stop();
    const down = await readyzUntil(server.metrics, (r) => r.status === 503);
    expect(down.detail.reasons).toEqual(["backplane disconnected"]);
    await until(() => server.logs.some((l) => l.msg === "backplane down"));
    await redis.restart();
    await readyzUntil(server.metrics, (r) => r.status === 200);
    await until(() => server.logs.some((l) => l.msg === "backplane back"));
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);
});
