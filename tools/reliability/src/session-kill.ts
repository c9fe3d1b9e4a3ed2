// Issue 13's kill-and-restart traffic: a @taurus/client and a server process
// (fixtures/session-server.mjs) exchange messages both ways while the server is killed
// (SIGKILL) and restarted on the same port. The server logs what its handler completed and
// what its send() accepted (synchronous writes, which survive the kill); the client counts
// what it sent and received. Each direction is counted by a DeliveryCounter.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { restartablePort } from "@taurus/adapter-redis/testing";
import { createClient } from "@taurus/client";
import { isTaurusError } from "@taurus/core-conn";
import { DeliveryCounter, type DeliveryReport, parsePayload, payloadOf } from "./delivery-count";
import { type Kit, onCleanup, sleep, until } from "./harness";
import { clientSessionOptions } from "./sessions";

const SERVER = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "session-server.mjs");

/** One run of {@link runKillTraffic}. */
export interface KillTrafficOptions<M> {
  kit: Kit<M>;
  sessions: boolean;
  /** The session store's Redis (sessions only): the server keeps its sessions there. */
  redisUrl?: string;
  /** SIGKILLs of the server. */
  kills: number;
  /** Milliseconds of traffic between a restart and the next kill. */
  upMs: number;
  /** Messages per second each way. */
  rate: number;
  /** Milliseconds the server's handler takes per message. */
  slowMs: number;
  /** Runs before each kill (a fault of its own, such as a stalled store), awaited. */
  beforeKill?: () => Promise<void>;
}

/** What a run measured. */
export interface KillTrafficResult {
  c2s: DeliveryReport;
  s2c: DeliveryReport;
  kills: number;
  reconnects: number;
  /** Messages the client discarded (its close(), or giving up). */
  discarded: number;
  /**
   * Client messages processed before a kill whose count never reached the store: sent
   * again after the restart and recognised by their idempotency key (sessions only).
   */
  redelivered: number;
  /**
   * Server messages whose send() was running when the server was killed: `seen` by the
   * client (so accepted, and counted), or `unseen` (accepted or not, nobody can tell).
   */
  atKill: { seen: number; unseen: number };
  /**
   * With sessions: server messages accepted by send() whose store write had not
   * completed when the server was killed (no "d" line covers them; they survive a
   * crash only once stored): `seen` by the client anyway, or `lost` (at most once
   * until stored: `server.sessionStored` tells when that window has passed).
   */
  unstored: { seen: number; lost: number };
  /** Sessions reported lost, by side and reason ("client overflow": 2...): 0 in a good run. */
  sessionsLost: Record<string, number>;
  durationMs: number;
}

interface Child {
  proc: ChildProcess;
  port: number;
}

async function startChild(config: Record<string, unknown>): Promise<Child> {
  const proc = spawn(process.execPath, [SERVER, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server process did not start")), 10_000);
    proc.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}`));
    });
  });
  return { proc, port };
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      resolve();
      return;
    }
    proc.once("exit", () => resolve());
    proc.kill("SIGKILL");
  });
}

/** Runs the traffic across `kills` SIGKILLs and counts each direction. */
export async function runKillTraffic<M>(
  options: KillTrafficOptions<M>,
): Promise<KillTrafficResult> {
  const { kit, sessions, rate } = options;
  const dir = mkdtempSync(join(tmpdir(), "taurus-session-kill-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, "server.log");
  const total = Math.ceil((rate * (options.kills + 1) * options.upMs) / 1000);
  const config = {
    port: await restartablePort(),
    log,
    protocol: kit.name,
    slowMs: options.slowMs,
    rate,
    total,
    sessions,
    redisUrl: options.redisUrl,
  };
  let child = await startChild(config);
  const port = child.port;
  onCleanup(() => kill(child.proc));

  const c2s = new DeliveryCounter("c2s");
  const s2c = new DeliveryCounter("s2c");
  let finReceived = false;
  const client = createClient<M>({
    address: { host: "127.0.0.1", port },
    protocol: kit.protocol,
    maxRetries: Number.POSITIVE_INFINITY,
    retryDelay: 20,
    maxRetryDelay: 100,
    connectTimeout: 2_000,
    sendBufferSize: 100_000,
    closeTimeout: 2_000,
    ...clientSessionOptions(sessions),
  });
  client.on("error", () => {});
  let reconnects = -1;
  client.on("connect", () => void reconnects++);
  const events: string[] = [];
  const t0 = Date.now();
  client.on("session", (info) => events.push(`${Date.now() - t0} session ${JSON.stringify(info)}`));
  // Sessions reported lost, by side and reason (the server's are read from its log).
  const sessionsLost: Record<string, number> = {};
  const count = (key: string): void => {
    sessionsLost[key] = (sessionsLost[key] ?? 0) + 1;
  };
  client.on("sessionLost", (info) => {
    events.push(`${Date.now() - t0} sessionLost ${JSON.stringify(info)}`);
    count(`client ${info.reason}`);
  });
  client.on("sessionUnavailable", (reason) =>
    events.push(`${Date.now() - t0} sessionUnavailable ${reason}`),
  );
  client.on("message", (m) => {
    const payload = parsePayload(kit.text(m));
    if (!payload) return;
    if (payload.stream === "fin") finReceived = true;
    else s2c.received(payload.index);
  });
  onCleanup(() => client.close());
  await client.connect();

  const started = Date.now();
  let sending = true;
  const sender = (async () => {
    for (let i = 0; sending; ) {
      const due = Math.floor(((Date.now() - started) * rate) / 1000);
      while (i < due) {
        try {
          client.send(kit.message(i + 1, payloadOf("c2s", i)));
        } catch (err) {
          if (!isTaurusError(err, "SEND_QUEUE_FULL")) throw err;
          break;
        }
        c2s.accepted(i);
        i++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();

  for (let k = 0; k < options.kills; k++) {
    await sleep(options.upMs);
    await options.beforeKill?.();
    await kill(child.proc);
    await sleep(150 + 50 * (k % 3)); // down a while: the client queues offline
    child = await startChild({ ...config, port });
    await until(() => client.state === "connected", 10_000, "client reconnected");
  }
  await sleep(options.upMs);
  sending = false;
  await sender;

  // The client's sentinel, behind everything it sent, is repeated until the server logs it;
  // the server's, behind everything it pushed, until the client gets it.
  const handled = (): string => readFileSync(log, "utf8");
  let lastFin = 0;
  await until(
    () => {
      if (Date.now() - lastFin >= 200 && !handled().includes("cfin\n")) {
        lastFin = Date.now();
        try {
          client.send(kit.message(1, payloadOf("fin", 0)));
        } catch {
          // full: the next round tries again
        }
      }
      return finReceived && handled().includes("cfin\n");
    },
    // A slow handler processes fewer messages per second than are sent: the backlog drains
    // at its pace (nothing is dropped to keep up).
    30_000 + total * options.slowMs,
    "sentinels both ways",
  );
  const sent = new Set<number>();
  const tried = new Set<number>();
  let redelivered = 0;
  // With sessions, a server message counts as accepted once stored: a "d" line of the
  // same process covers it (before that, a kill may lose it: counted apart below).
  let ofThisProcess: number[] = [];
  const unstoredSent: number[] = [];
  for (const line of handled().split("\n")) {
    const lost = /^e sessionLost .*"reason":"(\w+)"/.exec(line);
    if (lost) count(`server ${lost[1]}`);
    if (line === "p") {
      unstoredSent.push(...ofThisProcess); // the previous process was killed before storing these
      ofThisProcess = [];
      continue;
    }
    const m = /^([cstrd]) (\d+)/.exec(line);
    if (!m) continue;
    const index = Number(m[2]);
    if (m[1] === "c") c2s.received(index);
    else if (m[1] === "r") redelivered++;
    else if (m[1] === "t") tried.add(index);
    else if (m[1] === "d") {
      for (const i of ofThisProcess) if (i <= index) s2c.accepted(i);
      ofThisProcess = ofThisProcess.filter((i) => i > index);
    } else {
      sent.add(index);
      if (sessions) ofThisProcess.push(index);
      else s2c.accepted(index);
    }
  }
  // The last process was not killed: what it sent is accepted, stored or not.
  for (const i of ofThisProcess) s2c.accepted(i);
  const unstored = { seen: 0, lost: 0 };
  for (const index of unstoredSent) {
    if (s2c.saw(index)) {
      s2c.accepted(index);
      unstored.seen++;
    } else unstored.lost++;
  }
  // A kill during a send(): whether it accepted the message is unknown (its "s" line never
  // came). Seen by the client, it was accepted; unseen, it is counted apart, not as lost.
  const atKill = { seen: 0, unseen: 0 };
  for (const index of tried) {
    if (sent.has(index)) continue;
    if (s2c.saw(index)) {
      s2c.accepted(index);
      atKill.seen++;
    } else atKill.unseen++;
  }
  const lostBeforeClose = { ...sessionsLost };
  await client.close(); // it reports its own session lost ("closed"): not counted
  if (process.env.TAURUS_KILL_TRACE === "1") {
    console.log(`CLIENT EVENTS\n${events.join("\n")}`);
    console.log(
      `SERVER EVENTS\n${handled()
        .split("\n")
        .filter((l) => l.startsWith("e "))
        .join("\n")}`,
    );
  }
  return {
    c2s: c2s.report(),
    s2c: s2c.report(),
    kills: options.kills,
    reconnects,
    discarded: client.stats.discarded,
    redelivered,
    atKill,
    unstored,
    sessionsLost: lostBeforeClose,
    durationMs: Date.now() - started,
  };
}
