// taurus probe: which protocol a port speaks, and whether the peer is Taurus or Go.
import { COMMON, formatAddress, parse, parseAddress, parseDuration } from "../args";
import type { Command } from "../command";
import { reason, UsageError } from "../errors";
import type { Io } from "../io";
import { chatOf, type Kit } from "../kits";
import { loadKit } from "../load-protocol";
import { type Exchange, exchange } from "../probe-peer";

const USAGE = `Usage: taurus probe <host:port> [options]

Tells which protocol a port speaks and what answers there. It sends two
heartbeats (chat type 3) in one write, over each protocol on its own connection,
and reads the answer:
  - the first bytes: FE FF is the JSON protocol, CA FE the binary protocol;
  - Taurus or Go: the Go original decodes one frame per read (the second
    heartbeat waits) and its JSON escapes < and & as \\u003c and \\u0026;
  - the application: a chat server answers a heartbeat with "pong", an echo
    server sends it back as it was.

Options:
  -p, --protocol NAME  probe this protocol only (json, binary, or a package)
  --timeout DURATION   how long to wait for an answer (default: 2s)
  --json               print the result as JSON
  -h, --help           show this help

Exit status: 0 when the port answered in a known protocol, 1 otherwise.
`;

export interface ProbeResult {
  address: string;
  protocol: string | null;
  peer: "taurus" | "go" | null;
  application: "chat" | "echo" | "other" | null;
  rttMs: number | null;
  evidence: string[];
}

export const probe: Command = {
  name: "probe",
  summary: "tell which protocol a port speaks, and whether Taurus or Go answers",
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, { ...COMMON, timeout: { type: "string" } });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected one address: host:port");
    const address = parseAddress(positionals[0]);
    const timeout = parseDuration("timeout", values.timeout ?? "2s");
    const kits = values.protocol
      ? [await loadKit(values.protocol)]
      : [await loadKit("json"), await loadKit("binary")];
    // The first protocol answered ends the others' wait.
    const answered = new AbortController();
    const exchanges = await Promise.all(
      kits.map((k) =>
        exchange(k, address, timeout, answered.signal).then((x) => {
          if (x.replies.length > 0) answered.abort();
          return x;
        }),
      ),
    );
    const result = judge(formatAddress(address), kits, exchanges, timeout);
    if (values.json) io.out(JSON.stringify(result));
    else for (const line of describeResult(result)) io.out(line);
    return result.protocol ? 0 : 1;
  },
};

/** What the exchanges say about the port. */
export function judge(
  where: string,
  kits: Kit[],
  exchanges: Exchange[],
  timeout: number,
): ProbeResult {
  const result: ProbeResult = {
    address: where,
    protocol: null,
    peer: null,
    application: null,
    rttMs: null,
    evidence: [],
  };
  const answered = exchanges.findIndex((x) => x.replies.length > 0);
  if (answered === -1) {
    const failed = exchanges.find((x) => x.error);
    const spoken = exchanges.find((x) => x.spoken !== "unknown")?.spoken;
    if (failed?.error) result.evidence.push(`cannot connect: ${reason(failed.error)}`);
    else if (spoken === "http")
      result.evidence.push("it answered in HTTP (a metrics or web port?)");
    else if (exchanges.some((x) => x.bytes.length > 0))
      result.evidence.push(
        `it answered ${exchanges
          .find((x) => x.bytes.length)
          ?.bytes.subarray(0, 8)
          .toString("hex")}..., which no protocol tried decodes`,
      );
    else
      result.evidence.push(
        `connected, but no answer to a heartbeat over ${kits.map((k) => k.name).join(" or ")} in ${timeout} ms`,
      );
    return result;
  }
  const kit = kits[answered] as Kit;
  const x = exchanges[answered] as Exchange;
  result.protocol = kit.name;
  result.rttMs = x.rtt === undefined ? null : Math.round(x.rtt * 1000) / 1000;
  const magic = x.bytes.subarray(0, 2).toString("hex").toUpperCase();
  result.evidence.push(
    `answered over ${kit.name} (first bytes ${magic.replace(/(..)(..)/, "$1 $2")})`,
  );

  const text = x.bytes.toString("latin1");
  const escaped = /\\u003c|\\u0026/i.test(text);
  const literal = text.includes("<&>");
  if (x.replies.length >= 2) result.evidence.push("answered both pipelined frames at once");
  else result.evidence.push("answered only the first of two pipelined frames (one frame per read)");
  if (escaped) result.evidence.push("its JSON escapes < and & (Go's encoding/json)");
  else if (literal) result.evidence.push("its JSON keeps < and & as they are");
  result.peer = escaped || x.replies.length < 2 ? "go" : "taurus";

  const views = x.replies.map((m) => kit.view(m));
  const chats = views.map((v) => chatOf(v));
  if (chats.some((c) => c?.content === "pong")) {
    result.application = "chat";
    result.evidence.push('a heartbeat got "pong" back (a chat server)');
  } else if (chats.some((c) => c?.content === "ping")) {
    result.application = "echo";
    result.evidence.push("the heartbeat came back as sent (an echo server)");
  } else {
    result.application = "other";
  }
  return result;
}

const PROTOCOL_NAMES: Record<string, string> = {
  json: "the Taurus JSON protocol (FE FF)",
  binary: "the Taurus binary protocol (CA FE)",
};

function describeResult(r: ProbeResult): string[] {
  if (!r.protocol)
    return [`${r.address}: no known protocol answered`, ...r.evidence.map((e) => `  ${e}`)];
  return [
    `${r.address} speaks ${PROTOCOL_NAMES[r.protocol] ?? r.protocol}`,
    `  peer:        ${r.peer === "go" ? "Go (taurus-pro-tcp)" : "Taurus"}`,
    `  application: ${r.application === "chat" ? "chat server" : r.application === "echo" ? "echo server" : "answers, but neither chat nor echo"}`,
    `  round trip:  ${r.rttMs ?? "?"} ms`,
    ...r.evidence.map((e) => `  - ${e}`),
  ];
}
