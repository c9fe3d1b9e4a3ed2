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

/** @param {import("./common.mjs").Settings} settings */
async function echoRounds(settings) {
  const rounds = settings.quick ? 2 : 5;
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 2000 };
  const rows = [];
  for (const format of /** @type {const} */ (["binary", "json"])) {
    /** @type {Record<string, number[]>} */
    const rates = { plain: [], sessions: [] };
    let skipped;
    for (let round = 0; round < rounds; round++) {
      // Interleaved, alternating which goes first, so drift on a shared machine hits both.
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const sessions of order) {
        const result = await withSessionServer(format, sessions, async ({ port }) => {
          const config = {
            port,
            format,
            size: 64,
            connections: 10,
            window: 64,
            session: sessions,
            ...timing,
          };
          return runGenerator("client-echo", config, 60_000);
        });
        if ("skipped" in result) skipped = result.skipped;
        else rates[sessions ? "sessions" : "plain"].push(Number(result.messagesPerSecond));
      }
    }
    const plain = median(rates.plain);
    const withSessions = median(rates.sessions);
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
      plainRounds: rates.plain.map(Math.round),
      sessionRounds: rates.sessions.map(Math.round),
      ...(skipped ? { skipped } : {}),
    };
    log(
      `sessions echo ${format}: plain ${row.plainMessagesPerSecond} msg/s, sessions ${skipped ?? `${row.sessionMessagesPerSecond} msg/s (x${row.sessionsVsPlain})`}`,
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
