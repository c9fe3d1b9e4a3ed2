// Scenario (issue 18): Taurus against the ceilings of Node.js, in interleaved rounds of the
// same run, every server started once and driven by the same generators in turn:
// - binary echo: Taurus binary against the hand-written CAFE echo (CRC verified, reply
//   re-sealed, one write per read) and the bare length-prefix echo (no CRC, nothing per
//   socket), at 64 B, 1 KiB and 16 KiB, 1 and 10 connections, up to 1000 frames in flight;
// - JSON echo: Taurus JSON against the hand-written JSON echo (JSON.parse, JSON.stringify);
// - ping-pong (one message in flight per connection, 10 connections): Taurus binary and JSON
//   against the bare echo of the same format.
// Each figure is the median of its rounds; each ratio is median / median, with the range of
// the per-round ratios as its spread.
import { Child, runGenerator } from "../lib/proc.mjs";
import { ratio, round } from "../lib/stats.mjs";
import { LAYOUT } from "../lib/wire.mjs";
import { log } from "./common.mjs";

/** The servers of this scenario: script and arguments. */
const SERVERS = {
  "taurus-binary": ["servers/taurus-binary.mjs", ["echo"]],
  "cafe-echo": ["servers/cafe-echo.mjs", ["echo"]],
  "bare-binary": ["servers/bare-echo.mjs", ["echo", "binary"]],
  "taurus-json": ["servers/taurus-json.mjs", ["echo"]],
  "raw-json": ["servers/raw-json.mjs", ["echo"]],
  "bare-json": ["servers/bare-echo.mjs", ["echo", "json"]],
};

/**
 * Frames in flight per connection: 1000, or fewer so that a window stays under 4 MiB.
 * @param {number} size
 */
function windowFor(size) {
  return Math.min(1000, Math.floor((4 * 1024 * 1024) / (size + LAYOUT.binary.overhead)));
}

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? /** @type {number} */ (sorted[mid])
    : /** @type {number} */ (sorted[mid - 1] + /** @type {number} */ (sorted[mid])) / 2;
}

/**
 * Starts every server of the scenario.
 * @param {string[]} names
 * @param {string | undefined} profileDir
 * @returns {Promise<Map<string, { child: Child, port: number }>>}
 */
async function startAll(names, profileDir) {
  /** @type {Map<string, { child: Child, port: number }>} */
  const servers = new Map();
  for (const name of names) {
    const [file, args] = /** @type {[string, string[]]} */ (
      SERVERS[/** @type {keyof typeof SERVERS} */ (name)]
    );
    const execArgv = ["--expose-gc"];
    if (profileDir && name.startsWith("taurus"))
      execArgv.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
    const child = new Child(file, args, execArgv);
    const { port } = await child.next("listening", 10_000);
    servers.set(name, { child, port: /** @type {number} */ (port) });
  }
  return servers;
}

/**
 * One comparison: a workload measured on each of its servers in every round.
 * @typedef {object} Point
 * @property {string} kind "echo" or "pingpong"
 * @property {"binary" | "json"} format
 * @property {number} size
 * @property {number} connections
 * @property {number} window
 * @property {string[]} servers the first is Taurus, the others its baselines
 * @property {Record<string, number[]>} rates per server, one per round
 * @property {Record<string, number[]>} cpu per server, one per round: server CPU µs per message
 */

/**
 * @param {import("./common.mjs").Settings} settings
 */
export async function ceiling(settings) {
  const rounds = settings.rounds ?? (settings.quick ? 1 : 5);
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 400 }
    : { warmupMs: 500, durationMs: 1500 };
  // Quick (the test suite's run): one size, enough to prove every server and generator works.
  const sizes = settings.quick ? [64] : [64, 1024, 16384];
  /** @type {Point[]} */
  const points = [];
  const add = (
    /** @type {string} */ kind,
    /** @type {"binary" | "json"} */ format,
    /** @type {number} */ size,
    /** @type {number} */ connections,
    /** @type {string[]} */ servers,
  ) =>
    points.push({
      kind,
      format,
      size,
      connections,
      window: kind === "pingpong" ? 1 : windowFor(size),
      servers,
      rates: Object.fromEntries(servers.map((s) => [s, []])),
      cpu: Object.fromEntries(servers.map((s) => [s, []])),
    });
  for (const size of sizes)
    for (const n of [1, 10])
      add("echo", "binary", size, n, ["taurus-binary", "cafe-echo", "bare-binary"]);
  for (const size of sizes.filter((s) => s <= 1024))
    for (const n of [1, 10]) add("echo", "json", size, n, ["taurus-json", "raw-json"]);
  // Ping-pong's target is the bare echo; the hand-written CAFE and JSON echoes beside it show
  // what decoding and encoding each message costs there, in any server.
  add("pingpong", "binary", 64, 10, ["taurus-binary", "bare-binary", "cafe-echo"]);
  add("pingpong", "json", 64, 10, ["taurus-json", "bare-json", "raw-json"]);
  // TAURUS_BENCH_POINTS="binary echo 1024,pingpong": only the workloads whose label has one of these.
  const wanted = process.env.TAURUS_BENCH_POINTS?.split(",");
  if (wanted) {
    const keep = points.filter((p) =>
      wanted.some((w) => `${p.format} ${p.kind} ${p.size} x${p.connections}`.includes(w)),
    );
    points.splice(0, points.length, ...keep);
  }

  /** @type {Record<string, Record<string, number>>} */
  const serverErrors = {};
  const servers = await startAll(Object.keys(SERVERS), settings.profileDir);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const point of points) {
        // Alternate which server goes first, so drift on a shared machine hits each alike.
        const order = r % 2 === 0 ? point.servers : [...point.servers].reverse();
        for (const name of order) {
          const { port } = /** @type {{ port: number }} */ (servers.get(name));
          const config = {
            port,
            format: point.format,
            size: point.size,
            connections: point.connections,
            ...timing,
          };
          const { child } = /** @type {{ child: Child }} */ (servers.get(name));
          const cpuBefore = Number((await child.request({ type: "cpu" })).micros);
          const result =
            point.kind === "pingpong"
              ? await runGenerator("latency", config, 60_000)
              : await runGenerator(
                  "echo",
                  { ...config, transport: "tcp", window: point.window },
                  60_000,
                );
          const cpuAfter = Number((await child.request({ type: "cpu" })).micros);
          const rate = Number(
            point.kind === "pingpong" ? result.requestsPerSecond : result.messagesPerSecond,
          );
          /** @type {number[]} */ (point.rates[name]).push(rate);
          // The server's CPU per message over the whole run (warm-up included), in µs.
          /** @type {number[]} */ (point.cpu[name]).push(
            (cpuAfter - cpuBefore) / Math.max(1, Number(result.total)),
          );
        }
      }
      log(`ceiling: round ${r + 1}/${rounds} done`);
    }
    for (const [name, { child }] of servers) {
      const stats = await child.request({ type: "stats" });
      serverErrors[name] = /** @type {Record<string, number>} */ (stats.errors);
    }
  } finally {
    for (const { child } of servers.values()) await child.stop();
  }
  const rows = points.map((point) => {
    const [taurus, ...baselines] = point.servers;
    const t = /** @type {number[]} */ (point.rates[/** @type {string} */ (taurus)]);
    const row = {
      kind: point.kind,
      format: point.format,
      size: point.size,
      connections: point.connections,
      window: point.window,
      rounds,
      taurus,
      taurusPerSecond: Math.round(median(t) ?? Number.NaN),
      taurusRounds: t.map(Math.round),
      taurusCpuMicros: round(
        median(/** @type {number[]} */ (point.cpu[/** @type {string} */ (taurus)])) ?? Number.NaN,
        3,
      ),
      /** @type {Record<string, unknown>[]} */
      baselines: [],
    };
    for (const b of baselines) {
      const rates = /** @type {number[]} */ (point.rates[b]);
      const perRound = t.map((v, i) => v / /** @type {number} */ (rates[i]));
      const tc = /** @type {number[]} */ (point.cpu[/** @type {string} */ (taurus)]);
      const bc = /** @type {number[]} */ (point.cpu[b]);
      const cpuPerRound = tc.map((v, i) => /** @type {number} */ (bc[i]) / v);
      row.baselines.push({
        server: b,
        perSecond: Math.round(median(rates) ?? Number.NaN),
        rounds: rates.map(Math.round),
        ratio: ratio(median(t), median(rates)),
        spread: [round(Math.min(...perRound), 3), round(Math.max(...perRound), 3)],
        cpuMicros: round(median(bc) ?? Number.NaN, 3),
        // Baseline CPU per message / Taurus CPU per message: 1 is as efficient, less is costlier.
        cpuRatio: ratio(median(bc), median(tc)),
        cpuSpread: [round(Math.min(...cpuPerRound), 3), round(Math.max(...cpuPerRound), 3)],
      });
    }
    log(
      `ceiling ${point.kind} ${point.format} ${point.size} B x${point.connections}: ${row.baselines
        .map(
          (b) =>
            `${taurus}/${b.server} ${b.ratio} [${b.spread.join("..")}], CPU ${b.cpuRatio} [${b.cpuSpread.join("..")}]`,
        )
        .join(", ")}`,
    );
    return row;
  });
  return [...rows, { kind: "errors", serverErrors }];
}
