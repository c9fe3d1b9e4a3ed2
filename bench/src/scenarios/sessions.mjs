// Scenario: the cost of sessions (issue 13). Pipelined echo through @taurus/client with and
// without a session, in interleaved rounds of the same run (ratio of the medians; goal: at
// most 20% slower), and the memory of idle session clients against idle plain ones, on the
// server (RSS and heap after gc, per connection) and in the clients' process (per client).
// Until @taurus/server has sessions, the session rows say "sessions unavailable" instead.
import * as taurusServer from "@taurus/server";
import { Child, runGenerator, startGenerator } from "../lib/proc.mjs";
import { ratio, round } from "../lib/stats.mjs";
import { log } from "./common.mjs";

/** Exports of @taurus/server of which one means it has a session layer (its in-memory store). */
const SESSION_EXPORTS = ["MemorySessionStore", "createMemorySessionStore"];
const available = SESSION_EXPORTS.some((name) => name in taurusServer);

/**
 * Runs `body` against a Taurus echo server with or without sessions; resolves with
 * `{ skipped }` when sessions are unavailable or the server refuses the option.
 * @template T
 * @param {"json" | "binary"} format
 * @param {boolean} sessions
 * @param {(server: { child: Child, port: number }) => Promise<T>} body
 * @returns {Promise<T | { skipped: string }>}
 */
async function withSessionServer(format, sessions, body) {
  if (sessions && !available) return { skipped: "sessions unavailable" };
  const child = new Child(
    "servers/taurus-sessions.mjs",
    ["echo", format, sessions ? "on" : "off"],
    ["--expose-gc"],
  );
  let port;
  try {
    ({ port } = await child.next("listening", 10_000));
  } catch (err) {
    await child.stop(1000);
    if (!sessions) throw err;
    return { skipped: `sessions refused: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    return await body({ child, port: /** @type {number} */ (port) });
  } finally {
    await child.stop();
  }
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)];
}

/**
 * Starts the echo server of `format`, with or without sessions, for several rounds.
 * @param {"json" | "binary"} format
 * @param {boolean} sessions
 * @returns {Promise<{ child: Child, port: number } | { skipped: string }>}
 */
async function startSessionServer(format, sessions) {
  if (sessions && !available) return { skipped: "sessions unavailable" };
  const child = new Child(
    "servers/taurus-sessions.mjs",
    ["echo", format, sessions ? "on" : "off"],
    ["--expose-gc"],
  );
  try {
    const { port } = await child.next("listening", 10_000);
    return { child, port: /** @type {number} */ (port) };
  } catch (err) {
    await child.stop(1000);
    if (!sessions) throw err;
    return { skipped: `sessions refused: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** @param {number[]} values @returns {number[]} [min, max] rounded */
function spread(values) {
  return values.length === 0 ? [] : [round(Math.min(...values), 3), round(Math.max(...values), 3)];
}

/**
 * Pipelined echo with and without sessions: both servers started once, the rounds
 * interleaved (alternating which goes first) so drift on a shared machine hits both.
 * Per round: throughput, the server's CPU µs per echo (its CPU over the run / echoes), and
 * the client process's CPU µs per echo within the measured window.
 * @param {import("./common.mjs").Settings} settings
 */
export async function echoRounds(settings) {
  const rounds = settings.quick ? 1 : (settings.rounds ?? 7);
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 2000 };
  const rows = [];
  for (const format of /** @type {const} */ (["binary", "json"])) {
    const servers = {
      plain: await startSessionServer(format, false),
      sessions: await startSessionServer(format, true),
    };
    /** @type {Record<string, { rate: number[], server: number[], client: number[] }>} */
    const m = {
      plain: { rate: [], server: [], client: [] },
      sessions: { rate: [], server: [], client: [] },
    };
    let skipped;
    try {
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ["plain", "sessions"] : ["sessions", "plain"];
        for (const mode of order) {
          const server = servers[/** @type {"plain" | "sessions"} */ (mode)];
          if ("skipped" in server) {
            skipped = server.skipped;
            continue;
          }
          const config = {
            port: server.port,
            format,
            size: 64,
            connections: 10,
            window: 64,
            session: mode === "sessions",
            ...timing,
          };
          const before = Number((await server.child.request({ type: "cpu" })).micros);
          const result = await runGenerator("client-echo", config, 60_000);
          const after = Number((await server.child.request({ type: "cpu" })).micros);
          const into = /** @type {{ rate: number[], server: number[], client: number[] }} */ (
            m[mode]
          );
          into.rate.push(Number(result.messagesPerSecond));
          into.server.push((after - before) / Math.max(1, Number(result.total)));
          into.client.push(Number(result.cpuMicrosPerMessage));
        }
      }
    } finally {
      for (const server of Object.values(servers)) if ("child" in server) await server.child.stop();
    }
    const plain = median(m.plain.rate);
    const withSessions = median(m.sessions.rate);
    const perRound = m.sessions.rate.map((v, i) => v / /** @type {number} */ (m.plain.rate[i]));
    const row = {
      kind: "echo",
      format,
      size: 64,
      connections: 10,
      window: 64,
      rounds,
      plainMessagesPerSecond: plain === undefined ? null : Math.round(plain),
      sessionMessagesPerSecond: withSessions === undefined ? null : Math.round(withSessions),
      sessionsVsPlain: ratio(withSessions, plain),
      spread: spread(perRound),
      plainRounds: m.plain.rate.map(Math.round),
      sessionRounds: m.sessions.rate.map(Math.round),
      serverCpuMicros: {
        plain: round(median(m.plain.server) ?? Number.NaN, 3),
        sessions: round(median(m.sessions.server) ?? Number.NaN, 3),
      },
      clientCpuMicros: {
        plain: round(median(m.plain.client) ?? Number.NaN, 3),
        sessions: round(median(m.sessions.client) ?? Number.NaN, 3),
      },
      ...(skipped ? { skipped } : {}),
    };
    log(
      `sessions echo ${format}: plain ${row.plainMessagesPerSecond} msg/s, sessions ${skipped ?? `${row.sessionMessagesPerSecond} msg/s (x${row.sessionsVsPlain} [${row.spread.join("..")}])`}; CPU us/msg server ${row.serverCpuMicros.plain} -> ${row.serverCpuMicros.sessions}, client ${row.clientCpuMicros.plain} -> ${row.clientCpuMicros.sessions}`,
    );
    rows.push(row);
  }
  return rows;
}

/** @param {import("../lib/proc.mjs").Message} stats */
function memoryOf(stats) {
  return /** @type {NodeJS.MemoryUsage} */ (stats.memory);
}

/** @param {import("./common.mjs").Settings} settings */
async function idleClients(settings) {
  const connections = settings.quick ? 200 : 2000;
  const rows = [];
  for (const sessions of [false, true]) {
    const result = await withSessionServer("binary", sessions, async ({ child, port }) => {
      const before = memoryOf(await child.request({ type: "stats" }));
      const generator = startGenerator("client-idle", { port, connections, session: sessions });
      try {
        const ready = await generator.next("ready", 120_000);
        const stats = await child.request({ type: "stats" });
        const after = memoryOf(stats);
        const n = Number(stats.connections);
        return {
          serverConnections: n,
          opened: ready.opened,
          echoed: ready.echoed,
          serverRssPerConnection: Math.round((after.rss - before.rss) / n),
          serverHeapPerConnection: Math.round((after.heapUsed - before.heapUsed) / n),
          clientRssPerClient: ready.rssPerClient,
          clientHeapPerClient: ready.heapPerClient,
          serverRssMiB: {
            before: round(before.rss / 2 ** 20, 1),
            after: round(after.rss / 2 ** 20, 1),
          },
        };
      } finally {
        await generator.stop();
      }
    });
    const row = { kind: "idle", mode: sessions ? "sessions" : "plain", connections, ...result };
    log(
      `sessions idle ${row.mode}: ${"skipped" in result ? result.skipped : `server ${result.serverHeapPerConnection} B heap, ${result.serverRssPerConnection} B RSS per connection`}`,
    );
    rows.push(row);
  }
  return rows;
}

/** @param {import("./common.mjs").Settings} settings */
export async function sessions(settings) {
  return [...(await echoRounds(settings)), ...(await idleClients(settings))];
}
