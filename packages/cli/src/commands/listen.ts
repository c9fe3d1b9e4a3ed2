// taurus listen: a server that logs what it receives, or echoes it back (--echo).
import type { Connection, TaurusError } from "@taurus/core-conn";
import { createServer } from "@taurus/server";
import { COMMON, formatAddress, parse, parseAddress, parseCount } from "../args";
import { type Command, emit, showMessage } from "../command";
import { Failure, reason, UsageError } from "../errors";
import type { Io } from "../io";
import { loadKit } from "../load-protocol";

const USAGE = `Usage: taurus listen [host:]port [options]

Serves a port (on 127.0.0.1 unless a host is given; port 0 picks a free one) and
prints every connection and every message received. Ctrl+C stops it.

Options:
  -p, --protocol NAME  json, binary, or an installed protocol package (default: json)
  --echo               send each message back to its sender (a target for taurus bench)
  --max-connections N  most connections at once (default: 10000)
  --quiet              print only the listening line and errors (for benchmarks)
  --json               print one JSON object per event instead of text
  -h, --help           show this help
`;

const OPTIONS = {
  ...COMMON,
  echo: { type: "boolean" },
  quiet: { type: "boolean" },
  "max-connections": { type: "string" },
} as const;

export const listen: Command = {
  name: "listen",
  summary: "serve a port: log what arrives, or --echo it back",
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError("expected the port to listen on: [host:]port");
    const address = parseAddress(positionals[0], true);
    const kit = await loadKit(values.protocol ?? "json");
    const json = values.json === true;
    const quiet = values.quiet === true;
    const maxConnections =
      values["max-connections"] === undefined
        ? 10_000
        : parseCount("max-connections", values["max-connections"], 1, 1_000_000);
    const echo = values.echo === true;
    const peer = (conn: Connection<unknown>) => ({ conn: conn.id, remote: conn.remoteAddress });
    const server = createServer<unknown>({
      protocol: kit.protocol,
      maxConnections,
      rateLimit: Number.POSITIVE_INFINITY,
      handler: {
        onConnect: (conn) => {
          if (!quiet)
            emit(
              io,
              json,
              { event: "connected", ...peer(conn) },
              `+ ${conn.id} ${conn.remoteAddress ?? ""}`,
            );
        },
        onMessage: (message, conn) => {
          if (echo) conn.send(message);
          if (!quiet) showMessage(io, json, kit, message, { conn: conn.id });
        },
        onClose: (error, conn) => {
          if (!quiet)
            emit(
              io,
              json,
              { event: "closed", ...peer(conn), reason: error?.code },
              `- ${conn.id}${error ? ` (${error.code})` : ""}`,
            );
        },
        onError: (error: TaurusError, conn) => {
          if (!quiet || error.kind !== "protocol")
            emit(
              io,
              json,
              { event: "error", conn: conn?.id, code: error.code, error: error.message },
              `! ${conn?.id ?? "server"} ${error.code}: ${error.message}`,
            );
        },
      },
    });
    let bound: { port: number };
    try {
      bound = await server.listen(address.port, address.host);
    } catch (err) {
      await server.close();
      throw new Failure(`cannot listen on ${formatAddress(address)}: ${reason(err)}`);
    }
    const where = formatAddress({ host: address.host, port: bound.port });
    emit(
      io,
      json,
      { event: "listening", host: address.host, port: bound.port, protocol: kit.name, echo },
      `listening on ${where} (${kit.name}${echo ? ", echo" : ""}); Ctrl+C stops`,
    );
    await io.interrupted;
    await server.close();
    return 0;
  },
};
