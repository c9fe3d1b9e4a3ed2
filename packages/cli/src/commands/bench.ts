// taurus bench: pipelined echo or ping-pong against a peer, with a live line and percentiles.
import { createClient, type TaurusClient } from "@taurus/client";
import { Histogram } from "@taurus/metrics";
import { COMMON, formatAddress, parse, parseAddress, parseCount, parseDuration } from "../args";
import { type Command, kitFor, PROTOCOL_HELP } from "../command";
import { Failure, reason, UsageError } from "../errors";
import type { Io } from "../io";
import { defaultName, HEARTBEAT, joinAs, type Kit, USER } from "../kits";
import { mismatch } from "../mismatch";
import { sniffing } from "../sniff";
import { type BenchResult, formatTable, progressLine, summarize } from "./bench-report";

const USAGE = `Usage: taurus bench <host:port> [options]

Measures messages per second and latency against a peer that answers each
message with the same sequence: an echo server (taurus listen --echo), or a
chat server (it broadcasts user messages back to their sender, and answers
heartbeats). Shows a live line on a terminal and a table at the end.

Options:
${PROTOCOL_HELP}
  --mode echo|ping-pong  echo: keep --pipeline messages in flight per connection
                         (chat type 2); ping-pong: one heartbeat (type 3) at a
                         time (default: echo)
  --connections N        connections, each with its own pipeline (default: 1)
  --pipeline N           messages in flight per connection in echo mode (default: 100)
  --size BYTES           the text carried by each message (default: 64)
  --duration DURATION    how long to run (default: 5s)
  --json                 print the result as JSON
  -h, --help             show this help

Against chat-server, start it with --rate-limit inf: its default of 100 messages
per second per connection is what you would measure otherwise.
`;

const OPTIONS = {
  ...COMMON,
  mode: { type: "string" },
  connections: { type: "string" },
  pipeline: { type: "string" },
  size: { type: "string" },
  duration: { type: "string" },
} as const;

/** How long the first answer may take before the run is called off. */
const FIRST_ANSWER_TIMEOUT = 5_000;

export const bench: Command = {
  name: "bench",
  summary: "benchmark pipelined echo or ping-pong: rate and latency percentiles",
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected one address: host:port");
    const address = parseAddress(positionals[0]);
    const mode = values.mode ?? "echo";
    if (mode !== "echo" && mode !== "ping-pong") {
      throw new UsageError(`--mode: expected echo or ping-pong, got ${mode}`);
    }
    const connections =
      values.connections === undefined
        ? 1
        : parseCount("connections", values.connections, 1, 10_000);
    const pipeline =
      mode === "ping-pong"
        ? 1
        : values.pipeline === undefined
          ? 100
          : parseCount("pipeline", values.pipeline, 1, 100_000);
    const size =
      values.size === undefined ? 64 : parseCount("size", values.size, 0, 16 * 1024 * 1024);
    const duration = parseDuration("duration", values.duration ?? "5s");
    const kit = await kitFor(values.protocol, address);
    const where = formatAddress(address);
    const run = new Run(kit, mode === "ping-pong" ? HEARTBEAT : USER, "x".repeat(size), pipeline);

    const clients: TaurusClient<unknown>[] = [];
    let failure: string | undefined;
    const fail = (why: string) => {
      failure ??= why;
      run.stop();
    };
    for (let i = 0; i < connections; i++) {
      const client: TaurusClient<unknown> = createClient<unknown>({
        address,
        protocol: sniffing(kit.protocol, (spoken) => fail(mismatch(where, kit.name, spoken))),
        maxRetries: 0,
        sendBufferSize: Math.max(1024, pipeline * 2),
        handler: { onMessage: (m): void => run.answered(client, m) },
      });
      client.on("disconnect", (error) => {
        if (run.running) fail(`a connection closed: ${error ? reason(error) : "by the peer"}`);
      });
      clients.push(client);
    }
    try {
      await Promise.all(clients.map((c) => c.connect()));
    } catch (err) {
      await Promise.all(clients.map((c) => c.close()));
      throw new Failure(`cannot connect to ${where}: ${reason(err)}`);
    }

    // Each connection joins under its own name first: a chat server relays nothing before.
    const name = defaultName().replace("taurus", "bench");
    for (const [i, client] of clients.entries()) client.send(joinAs(kit, `${name}-${i}`));
    const started = performance.now();
    for (const client of clients) run.fill(client);
    const live = setInterval(
      () => io.status(progressLine(run.snapshot(performance.now() - started))),
      250,
    );
    const noAnswer = setTimeout(() => {
      if (run.latency.count === 0)
        fail(
          `no answer in ${FIRST_ANSWER_TIMEOUT / 1000} s: is it an echo or chat server? (taurus probe ${where})`,
        );
    }, FIRST_ANSWER_TIMEOUT);
    const finished = new Promise<void>((resolve) => {
      run.onStop = resolve;
      setTimeout(() => run.stop(), duration);
    });
    const interrupted = io.interrupted.then(() => run.stop());
    await Promise.race([finished, interrupted]);
    const elapsed = performance.now() - started;
    clearInterval(live);
    clearTimeout(noAnswer);
    io.status("");
    await Promise.all(clients.map((c) => c.close()));
    if (failure) throw new Failure(failure);
    if (run.latency.count === 0) {
      throw new Failure(
        `no answer in ${(elapsed / 1000).toFixed(1)} s: is it an echo or chat server speaking ${kit.name}? (taurus probe ${where})`,
      );
    }

    const result: BenchResult = summarize(run, {
      address: where,
      protocol: kit.name,
      mode,
      connections,
      pipeline,
      size,
      elapsedMs: elapsed,
    });
    if (values.json) io.out(JSON.stringify(result));
    else for (const line of formatTable(result)) io.out(line);
    return 0;
  },
};

/** The state of one benchmark: messages in flight and the latencies of those answered. */
export class Run {
  readonly latency = new Histogram();
  running = true;
  onStop: () => void = () => {};
  private sequence = 0;
  private readonly inFlight = new Map<number, number>();
  private readonly perClient = new Map<TaurusClient<unknown>, number>();

  constructor(
    private readonly kit: Kit,
    private readonly type: number,
    private readonly text: string,
    private readonly pipeline: number,
  ) {}

  /** Sends until `client` has `pipeline` messages in flight. */
  fill(client: TaurusClient<unknown>): void {
    let n = this.perClient.get(client) ?? 0;
    while (this.running && n < this.pipeline) {
      this.sequence = (this.sequence % 0xffffffff) + 1;
      const sequence = this.sequence;
      this.inFlight.set(sequence, performance.now());
      client.send(this.kit.chat(this.text, { type: this.type, sequence, from: "taurus-bench" }));
      n++;
    }
    this.perClient.set(client, n);
  }

  /** A message arrived on `client`: when it answers one in flight, count it and send another. */
  answered(client: TaurusClient<unknown>, message: unknown): void {
    const sequence = this.kit.sequence(message);
    if (sequence === undefined) return;
    const sent = this.inFlight.get(sequence);
    if (sent === undefined) return; // another connection's, or another client's broadcast
    this.inFlight.delete(sequence);
    this.perClient.set(client, (this.perClient.get(client) ?? 1) - 1);
    if (!this.running) return;
    this.latency.record(Math.max(1, Math.round((performance.now() - sent) * 1e6)));
    this.fill(client);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.onStop();
  }

  snapshot(elapsedMs: number): { elapsedMs: number; messages: number; p50: number; p99: number } {
    return {
      elapsedMs,
      messages: this.latency.count,
      p50: this.latency.count ? this.latency.percentile(50) / 1e6 : 0,
      p99: this.latency.count ? this.latency.percentile(99) / 1e6 : 0,
    };
  }
}
