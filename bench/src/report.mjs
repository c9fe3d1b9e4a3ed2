// Turns the scenarios' rows into ratios, targets and a markdown report.
import { human, ratio, round, table } from "./lib/stats.mjs";

/**
 * The idle scenario's heap per connection by kind of object, Taurus beside the bare server.
 * @param {Row[]} idle
 * @returns {string[]}
 */
function heapBreakdown(idle) {
  const withKinds = idle.filter((r) => Array.isArray(r.heapByKind));
  if (withKinds.length === 0) return [];
  /** @type {Map<string, Record<string, string>>} */
  const byKind = new Map();
  for (const r of withKinds) {
    for (const k of /** @type {{ kind: string, count: number, bytes: number }[]} */ (
      r.heapByKind
    )) {
      const cells = byKind.get(k.kind) ?? {};
      cells[r.server] = `${k.bytes} (${k.count})`;
      byKind.set(k.kind, cells);
    }
  }
  const sum = (/** @type {Row} */ r) =>
    /** @type {{ bytes: number }[]} */ (r.heapByKind).reduce((n, k) => n + k.bytes, 0);
  return [
    `### Heap per idle connection by kind of object (heap snapshots, ${withKinds.map((r) => `${r.server} ${r.breakdownConnections}`).join(", ")} connections; bytes, and objects in parentheses)`,
    "",
    table(
      ["kind", ...withKinds.map((r) => r.server)],
      [
        ...[...byKind].map(([kind, cells]) => [
          kind,
          ...withKinds.map((r) => cells[/** @type {string} */ (r.server)] ?? "-"),
        ]),
        ["total of the kinds listed", ...withKinds.map((r) => String(sum(r)))],
      ],
    ),
    "",
    "Kinds that grew by at least 8 bytes per connection; compiled code and native wrappers left out. Objects are named by constructor (`_Connection` is Taurus' `Connection`, `Session` its handler runner); `Object` and `Array` are plain ones (the socket's event slots and state, its cached address).",
    "",
  ];
}

/** @typedef {Record<string, unknown>} Row A row of a scenario, or of ratios. */

/**
 * @param {Row[] | undefined} rows
 * @param {Row} where
 * @returns {Row | undefined}
 */
function find(rows, where) {
  return rows?.find((r) => Object.entries(where).every(([k, v]) => r[k] === v));
}

/**
 * @param {Record<string, unknown[]>} results
 * @param {Record<string, unknown>} machine
 * @param {boolean} quick
 */
export function report(results, machine, quick) {
  const echo = /** @type {Row[] | undefined} */ (results.echo);
  const latency = /** @type {Row[] | undefined} */ (results.latency);
  const idle = /** @type {Row[] | undefined} */ (results.idle);
  const broadcast = /** @type {Row[] | undefined} */ (results.broadcast);
  const churn = /** @type {Row[] | undefined} */ (results.churn);
  const workers = /** @type {Row[] | undefined} */ (results.fanoutWorkers);
  const redisFanout = /** @type {Row[] | undefined} */ (results.fanoutRedis);
  const sessionRows = /** @type {Row[] | undefined} */ (results.sessions);
  const ceilingRows = /** @type {Row[] | undefined} */ (results.ceiling);
  const eps = (/** @type {string} */ server, /** @type {number} */ size, /** @type {number} */ n) =>
    find(echo, { server, size, connections: n })?.messagesPerSecond;

  /** @type {Row} */
  const ratios = { echo: [], latency: [], idle: {}, broadcast: {}, churn: {} };
  const sizes = [...new Set((echo ?? []).map((r) => r.size))];
  for (const size of sizes) {
    for (const n of [1, 100]) {
      ratios.echo.push({
        size,
        connections: n,
        taurusBinaryVsRaw: ratio(eps("taurus-binary", size, n), eps("raw-binary", size, n)),
        taurusBinaryVsWs: ratio(eps("taurus-binary", size, n), eps("ws", size, n)),
        cafeVsWs: ratio(eps("cafe-echo", size, n), eps("ws", size, n)),
        taurusJsonVsRawJson: ratio(eps("taurus-json", size, n), eps("raw-json", size, n)),
        taurusWsVsTaurusTcp: ratio(eps("taurus-ws-binary", size, n), eps("taurus-binary", size, n)),
        taurusWsVsWs: ratio(eps("taurus-ws-binary", size, n), eps("ws", size, n)),
      });
    }
  }
  for (const n of [1, 100]) {
    const t = find(latency, { server: "taurus-binary", connections: n });
    const r = find(latency, { server: "raw-binary", connections: n });
    ratios.latency.push({
      connections: n,
      p50: ratio(t?.p50, r?.p50),
      p99: ratio(t?.p99, r?.p99),
      p999: ratio(t?.p999, r?.p999),
      max: ratio(t?.max, r?.max),
    });
  }
  const ti = find(idle, { server: "taurus-binary" });
  const ri = find(idle, { server: "bare-echo" });
  ratios.idle = {
    rss: ratio(ti?.rssPerConnection, ri?.rssPerConnection),
    heap: ratio(ti?.heapPerConnection, ri?.heapPerConnection),
  };
  const tb = find(broadcast, { server: "taurus-binary" });
  const rb = find(broadcast, { server: "raw-binary" });
  ratios.broadcast = {
    deliveries: ratio(tb?.deliveriesPerSecond, rb?.deliveriesPerSecond),
    // As the echo's CPU ratio: raw's CPU per delivery over Taurus's (above 1: Taurus needs less).
    cpu: ratio(rb?.cpuNs, tb?.cpuNs),
    p99: ratio(tb?.p99, rb?.p99),
  };
  const tc = find(churn, { server: "taurus-binary" });
  const rc = find(churn, { server: "raw-binary" });
  ratios.churn = {
    connectionsPerSecond: ratio(tc?.connectionsPerSecond, rc?.connectionsPerSecond),
  };

  const er = (/** @type {number} */ n) =>
    ratios.echo.find((/** @type {Row} */ r) => r.size === 64 && r.connections === n);
  const lr = (/** @type {number} */ n) =>
    ratios.latency.find((/** @type {Row} */ r) => r.connections === n);
  /** @type {{ target: string, value: number | null, threshold: string, met: boolean | null }[]} */
  const targets = [];
  /**
   * @param {string} target
   * @param {number | null | undefined} value
   * @param {">=" | "<="} op
   * @param {number} limit
   */
  const add = (target, value, op, limit) => {
    const v = value ?? null;
    const met = v === null ? null : op === ">=" ? v >= limit : v <= limit;
    targets.push({ target, value: v, threshold: `${op} ${limit}`, met });
  };
  for (const n of [1, 100])
    add(`binary echo 64 B x${n}: Taurus / raw`, er(n)?.taurusBinaryVsRaw, ">=", 0.5);
  for (const n of [1, 100])
    add(`JSON echo 64 B x${n}: Taurus / raw JSON`, er(n)?.taurusJsonVsRawJson, ">=", 0.5);
  for (const n of [1, 100])
    add(`binary echo 64 B x${n}: Taurus / ws`, er(n)?.taurusBinaryVsWs, ">=", 3);
  for (const n of [1, 100]) add(`request/reply x${n}: p99 Taurus / raw`, lr(n)?.p99, "<=", 1.2);
  add("broadcast to 1,000: deliveries Taurus / raw", ratios.broadcast.deliveries, ">=", 1);
  add("broadcast to 1,000: CPU per delivery raw / Taurus", ratios.broadcast.cpu, ">=", 1);
  add("idle: RSS per connection Taurus / bare net", ratios.idle.rss, "<=", 1.5);
  add("idle: heap per connection Taurus / bare net", ratios.idle.heap, "<=", 1.5);
  for (const r of ceilingRows ?? []) {
    if (r.kind === "errors") continue;
    const what =
      r.kind === "echo"
        ? `${r.format} echo ${r.size} B x${r.connections}`
        : `${r.format} ping-pong x${r.connections}`;
    for (const b of /** @type {Row[]} */ (r.baselines)) {
      const limit = CEILING_GOALS[`${r.kind}:${r.taurus}:${b.server}`];
      if (limit !== undefined) add(`${what}: Taurus / ${b.server}`, b.ratio, ">=", limit);
    }
  }
  if (tc) {
    add(
      `churn: Taurus heap growth after ${tc.connections} connections (KiB)`,
      round(tc.heapGrowthBytes / 1024, 1),
      "<=",
      1024,
    );
    add("churn: Taurus handle growth", tc.handleGrowth, "<=", 0);
    add("churn: Taurus connections left open", tc.leftOpen, "<=", 0);
  }
  for (const r of sessionRows ?? []) {
    if (r.kind === "echo" && !r.skipped)
      add(`sessions: echo ${r.format} 64 B x10, with / without`, r.sessionsVsPlain, ">=", 0.8);
  }

  const missing = [];
  if (!echo?.length || echo.some((r) => !(r.messagesPerSecond > 0))) missing.push("echo");
  if (!latency?.length || latency.some((r) => !(r.samples > 0))) missing.push("latency");
  if (
    !idle?.length ||
    idle.some((r) => !(r.connections > 0) || !Number.isFinite(r.rssPerConnection))
  )
    missing.push("idle");
  if (!broadcast?.length || broadcast.some((r) => !(r.deliveriesPerSecond > 0)))
    missing.push("broadcast");
  if (!churn?.length || churn.some((r) => !(r.connections > 0))) missing.push("churn");
  if (!workers?.length || workers.some((r) => !(r.deliveriesPerSecond > 0)))
    missing.push("fanoutWorkers");
  if (
    !redisFanout?.length ||
    redisFanout.some((r) => !(r.deliveriesPerSecond > 0) || r.backplaneLost || r.backplaneDropped)
  )
    missing.push("fanoutRedis");
  // A session row may say "sessions unavailable" (skipped); a plain row must have figures.
  if (
    !sessionRows?.length ||
    sessionRows.some((r) =>
      r.kind === "echo"
        ? !(r.plainMessagesPerSecond > 0)
        : !r.skipped && !(r.serverConnections > 0),
    )
  )
    missing.push("sessions");

  if (
    ceilingRows &&
    (ceilingRows.length === 0 ||
      ceilingRows.some(
        (r) =>
          r.kind !== "errors" &&
          (!(r.taurusPerSecond > 0) || r.baselines.some((b) => !(b.perSecond > 0))),
      ))
  )
    missing.push("ceiling");

  const md = [
    `# Taurus benchmarks${quick ? " (quick run: small counts, not for comparison)" : ""}`,
    "",
  ];
  md.push(
    `Machine: ${machine.cpuModel}, ${machine.cpuCount} cores, ${machine.totalMemoryMiB} MiB, ${machine.platform}, Node ${machine.node}.`,
    `${machine.note}`,
    "",
    "## Targets",
    "",
    table(
      ["target", "value", "threshold", "met"],
      targets.map((t) => [
        t.target,
        t.value ?? "-",
        t.threshold,
        t.met === null ? "-" : t.met ? "yes" : "**no**",
      ]),
    ),
    "",
  );
  if (ceilingRows?.length) md.push(...ceilingSection(ceilingRows));
  if (echo?.length) {
    md.push(
      "## Pipelined echo (messages/s, MB/s of echoed frames)",
      "",
      table(
        [
          "size",
          "conns",
          "window",
          "taurus-binary",
          "raw-binary",
          "ws",
          "T/raw",
          "T/ws",
          "cafe",
          "CAFE/ws",
          "taurus-json",
          "raw-json",
          "T/raw json",
          "taurus-ws",
          "Tws/T",
          "Tws/ws",
        ],
        ratios.echo.map((/** @type {Row} */ r) => {
          const cell = (/** @type {string} */ s) => {
            const row = find(echo, { server: s, size: r.size, connections: r.connections });
            return row ? `${human(row.messagesPerSecond)} (${row.megabytesPerSecond} MB/s)` : "-";
          };
          const w = find(echo, {
            server: "raw-binary",
            size: r.size,
            connections: r.connections,
          })?.window;
          return [
            r.size,
            r.connections,
            w ?? "-",
            cell("taurus-binary"),
            cell("raw-binary"),
            cell("ws"),
            r.taurusBinaryVsRaw ?? "-",
            r.taurusBinaryVsWs ?? "-",
            cell("cafe-echo"),
            r.cafeVsWs ?? "-",
            cell("taurus-json"),
            cell("raw-json"),
            r.taurusJsonVsRawJson ?? "-",
            cell("taurus-ws-binary"),
            r.taurusWsVsTaurusTcp ?? "-",
            r.taurusWsVsWs ?? "-",
          ];
        }),
      ),
      "",
    );
  }
  if (latency?.length) {
    md.push(
      "## Request/reply latency (64 B binary, µs)",
      "",
      table(
        ["conns", "server", "req/s", "p50", "p99", "p99.9", "max"],
        latency.map((r) => [
          r.connections,
          r.server,
          human(r.requestsPerSecond),
          r.p50,
          r.p99,
          r.p999,
          r.max,
        ]),
      ),
      "",
      table(
        ["conns", "p50 T/raw", "p99 T/raw", "p99.9 T/raw", "max T/raw"],
        ratios.latency.map((/** @type {Row} */ r) => [
          r.connections,
          r.p50 ?? "-",
          r.p99 ?? "-",
          r.p999 ?? "-",
          r.max ?? "-",
        ]),
      ),
      "",
    );
  }
  if (idle?.length) {
    md.push(
      "## Idle connections (server memory per connection, after gc, bytes)",
      "",
      table(
        ["server", "conns", "RSS", "heap used", "external", "RSS MiB before → after"],
        idle.map((r) => [
          r.server,
          r.connections,
          r.rssPerConnection,
          r.heapPerConnection,
          r.externalPerConnection,
          `${r.rssMiB.before} → ${r.rssMiB.after}`,
        ]),
      ),
      "",
      `Taurus / bare net server (keeps nothing per socket): RSS ${ratios.idle.rss ?? "-"}, heap ${ratios.idle.heap ?? "-"}. Medians of ${idle[0]?.rounds ?? 1} interleaved rounds; per round, RSS: ${idle.map((r) => `${r.server} ${r.rssRounds?.join(", ")}`).join("; ")}; heap: ${idle.map((r) => `${r.server} ${r.heapRounds?.join(", ")}`).join("; ")}.`,
      "",
      ...heapBreakdown(idle),
    );
  }
  if (broadcast?.length) {
    md.push(
      "## Broadcast fan-out (64 B binary, one sender, 16 broadcasts in flight; delay in µs)",
      "",
      table(
        ["server", "receivers", "deliveries/s", "CPU ns/delivery", "p50", "p99", "p99.9", "max"],
        broadcast.map((r) => [
          r.server,
          r.receivers,
          human(r.deliveriesPerSecond),
          r.cpuNs ?? "-",
          r.p50,
          r.p99,
          r.p999,
          r.max,
        ]),
      ),
      "",
      `Taurus / raw: deliveries ${ratios.broadcast.deliveries ?? "-"}, CPU per delivery raw / Taurus ${ratios.broadcast.cpu ?? "-"}, p99 ${ratios.broadcast.p99 ?? "-"}. Medians of ${broadcast[0]?.rounds ?? 1} interleaved rounds; deliveries/s per round: ${broadcast.map((r) => `${r.server} ${r.deliveriesRounds?.map(human).join(", ")}`).join("; ")}; CPU ns per delivery per round: ${broadcast.map((r) => `${r.server} ${r.cpuRounds?.join(", ") ?? "-"}`).join("; ")}. Both servers set noDelay; the deliveries are bounded by the one generator process as much as by the server, the CPU per delivery is not.`,
      "",
    );
  }
  if (churn?.length) {
    const kib = (/** @type {number} */ b) => round(b / 1024, 1);
    const hsum = (/** @type {Record<string, number>} */ h) =>
      Object.values(h).reduce((a, b) => a + b, 0);
    md.push(
      "## Connection churn (connect, one echo, close; 50 at a time; after gc)",
      "",
      table(
        [
          "server",
          "conns",
          "failed",
          "conn/s",
          "heap KiB before → after",
          "RSS MiB before → after",
          "handles before → after",
          "left open",
        ],
        churn.map((r) => [
          r.server,
          r.connections,
          r.failed,
          human(r.connectionsPerSecond),
          `${kib(r.heapUsedBefore)} → ${kib(r.heapUsedAfter)}`,
          `${round(r.rssBefore / 2 ** 20, 1)} → ${round(r.rssAfter / 2 ** 20, 1)}`,
          `${hsum(r.handlesBefore)} → ${hsum(r.handlesAfter)}`,
          r.leftOpen,
        ]),
      ),
      "",
    );
  }
  if (workers?.length) {
    const base = workers.find((r) => r.workers === 0)?.deliveriesPerSecond;
    md.push(
      "## Fan-out over worker processes (chat-server --workers N, rooms joined through the primary's IPC)",
      "",
      table(
        ["workers", "backplane", "receivers", "deliveries/s", "vs in-process"],
        workers.map((r) => [
          r.workers,
          r.backplane,
          r.receivers,
          human(r.deliveriesPerSecond),
          base ? round(r.deliveriesPerSecond / base, 2) : "-",
        ]),
      ),
      "",
      "On 2 cores the load generator needs one; each worker adds an IPC hop through the primary and a re-encode, without adding a core.",
      "",
    );
  }
  if (redisFanout?.length) {
    const base = redisFanout.find((r) => r.instances === 1)?.deliveriesPerSecond;
    md.push(
      "## Fan-out across instances through Redis (chat-server --redis, receivers split evenly)",
      "",
      table(
        ["instances", "backplane", "receivers", "deliveries/s", "vs 1 instance", "lost", "dropped"],
        redisFanout.map((r) => [
          r.instances,
          r.backplane,
          r.receivers,
          human(r.deliveriesPerSecond),
          base ? round(r.deliveriesPerSecond / base, 2) : "-",
          r.backplaneLost,
          r.backplaneDropped,
        ]),
      ),
      "",
      "Both instances, Redis and the load generator share the 2 cores: each message crosses Redis once and is re-encoded by the second instance.",
      "",
    );
  }
  if (sessionRows?.length) md.push(...sessionsSection(sessionRows));
  return { ratios, targets, markdown: `${md.join("\n")}\n`, missing };
}

/** Goals of issue 18 against the ceilings, by `kind:taurus:baseline`. */
const CEILING_GOALS = /** @type {Record<string, number>} */ ({
  "echo:taurus-binary:cafe-echo": 0.9,
  "echo:taurus-json:raw-json": 0.95,
  "pingpong:taurus-binary:bare-binary": 0.95,
  "pingpong:taurus-json:bare-json": 0.9,
});

/**
 * The ceiling scenario's table.
 * @param {Row[]} rows
 * @returns {string[]}
 */
function ceilingSection(rows) {
  const data = rows.filter((r) => r.kind !== "errors");
  const errors = rows.find((r) => r.kind === "errors")?.serverErrors;
  return [
    "## Against the ceilings (issue 18): interleaved rounds, medians",
    "",
    "Every server runs once for the whole scenario; in each round every workload is driven on each of its servers in turn (the order alternates between rounds). `cafe-echo`: hand-written CAFE echo (CRC verified with zlib.crc32, a fresh reply frame per frame in one buffer, one write per read). `bare-*`: a length-prefix echo that keeps nothing per socket (no CRC, writes back a view of the read). `raw-json`: hand-written JSON echo (JSON.parse, JSON.stringify). Ping-pong: one message in flight per connection; its target is the bare echo, and the hand-written CAFE and JSON echoes beside it show what decoding and encoding each message costs there (every message wakes the server, in any server). The spread is the range of the per-round ratios. CPU: the server process's CPU time per message echoed over each whole run (warm-up included), and the baseline's CPU per message over Taurus's (1 = as efficient); it depends far less on what else runs on the machine than throughput does.",
    "",
    table(
      [
        "workload",
        "size",
        "conns",
        "window",
        "Taurus msg/s",
        "baseline",
        "baseline msg/s",
        "ratio",
        "spread",
        "CPU µs/msg T / base",
        "CPU ratio",
        "CPU spread",
      ],
      data.flatMap((r) =>
        /** @type {Row[]} */ (r.baselines).map((b, i) => [
          i === 0 ? `${r.format} ${r.kind}` : "",
          i === 0 ? r.size : "",
          i === 0 ? r.connections : "",
          i === 0 ? r.window : "",
          i === 0 ? human(r.taurusPerSecond) : "",
          b.server,
          human(b.perSecond),
          b.ratio ?? "-",
          `${b.spread[0]}..${b.spread[1]}`,
          `${r.taurusCpuMicros} / ${b.cpuMicros}`,
          b.cpuRatio ?? "-",
          `${b.cpuSpread[0]}..${b.cpuSpread[1]}`,
        ]),
      ),
    ),
    "",
    `Rounds: ${data[0]?.rounds ?? "-"}. Server errors: ${JSON.stringify(errors ?? {})}.`,
    "",
  ];
}

/**
 * Plain CPU per echo over sessions' CPU per echo, server and client summed: the cost of
 * sessions as work done, which depends far less than throughput on how the two processes
 * share a small machine.
 * @param {unknown} server
 * @param {unknown} client
 * @returns {string}
 */
function cpuRatio(server, client) {
  const s = /** @type {{ plain?: number, sessions?: number } | undefined} */ (server);
  const c = /** @type {{ plain?: number, sessions?: number } | undefined} */ (client);
  const plain = (s?.plain ?? Number.NaN) + (c?.plain ?? Number.NaN);
  const sessions = (s?.sessions ?? Number.NaN) + (c?.sessions ?? Number.NaN);
  const r = plain / sessions;
  return Number.isFinite(r) ? String(Math.round(r * 1000) / 1000) : "-";
}

/**
 * The sessions scenario's tables.
 * @param {Row[]} rows
 * @returns {string[]}
 */
function sessionsSection(rows) {
  const echoRows = rows.filter((r) => r.kind === "echo");
  const idleRows = rows.filter((r) => r.kind === "idle");
  const cell = (/** @type {unknown} */ v) => (v == null ? "-" : String(v));
  return [
    "## Sessions (issue 13): cost against plain connections, through @taurus/client",
    "",
    table(
      [
        "format",
        "conns x window",
        "rounds",
        "without sessions msg/s",
        "with sessions msg/s",
        "with / without",
        "spread",
        "server CPU µs/msg without / with",
        "client CPU µs/msg without / with",
        "CPU both sides, without / with",
      ],
      echoRows.map((r) => {
        const cpu = (/** @type {unknown} */ c) => {
          const v = /** @type {{ plain?: number, sessions?: number } | undefined} */ (c);
          return v ? `${cell(v.plain)} / ${cell(v.sessions)}` : "-";
        };
        const spread = /** @type {number[] | undefined} */ (r.spread);
        return [
          r.format,
          `${r.connections} x ${r.window}`,
          r.rounds,
          human(r.plainMessagesPerSecond),
          r.skipped ? String(r.skipped) : human(r.sessionMessagesPerSecond),
          r.skipped ? "-" : cell(r.sessionsVsPlain),
          spread?.length ? spread.join("..") : "-",
          cpu(r.serverCpuMicros),
          cpu(r.clientCpuMicros),
          cpuRatio(r.serverCpuMicros, r.clientCpuMicros),
        ];
      }),
    ),
    "",
    table(
      [
        "idle clients",
        "count",
        "server RSS / conn",
        "server heap / conn",
        "client RSS / client",
        "client heap / client",
      ],
      idleRows.map((r) =>
        r.skipped
          ? [r.mode, r.connections, String(r.skipped), "-", "-", "-"]
          : [
              r.mode,
              r.serverConnections,
              r.serverRssPerConnection,
              r.serverHeapPerConnection,
              r.clientRssPerClient,
              r.clientHeapPerClient,
            ],
      ),
    ),
    "",
    "Medians of interleaved rounds of the same run (both servers started once; spread: the per-round ratio's range); CPU per echo: the server's over each run, the client process's within the measured window; CPU both sides: plain's server + client CPU per echo over sessions' (the cost as work done; on 2 cores throughput also depends on how the two processes wake each other); memory after a full gc, in bytes.",
    "",
  ];
}
