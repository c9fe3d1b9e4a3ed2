// taurus connect: an interactive session that prints decoded frames and sends typed lines.
import readline from "node:readline";
import { createClient } from "@taurus/client";
import type { TaurusError } from "@taurus/core-conn";
import { COMMON, formatAddress, parse, parseAddress, parseCount } from "../args";
import { type Command, emit, kitFor, PROTOCOL_HELP, showMessage } from "../command";
import { Failure, reason, UsageError } from "../errors";
import type { Io } from "../io";
import { defaultName, joinAs, USER } from "../kits";
import { mismatch } from "../mismatch";
import { sniffing } from "../sniff";

const USAGE = `Usage: taurus connect <host:port> [options]

Connects, prints every frame received, and sends each line typed (or piped in)
as a message. Ends at the end of input (Ctrl+D) or on Ctrl+C.

Options:
${PROTOCOL_HELP}
  --from NAME          the sender of chat messages, joined first unless --message
                       (default: taurus-<4 hex digits>)
  --type N             the message type of each line (default: 2, a chat user message)
  --message            each line is a whole message as JSON, e.g. {"type":7,"data":{"k":1}}
  --json               print one JSON object per event instead of text
  -h, --help           show this help
`;

const OPTIONS = {
  ...COMMON,
  from: { type: "string" },
  type: { type: "string" },
  message: { type: "boolean" },
} as const;

export const connect: Command = {
  name: "connect",
  summary: "connect interactively: print decoded frames, send typed lines",
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected one address: host:port");
    const address = parseAddress(positionals[0]);
    const kit = await kitFor(values.protocol, address);
    const json = values.json === true;
    const type = values.type === undefined ? USER : parseCount("type", values.type, 0, 0xffffffff);
    const from = values.from ?? defaultName();
    const where = formatAddress(address);

    let foreign: string | undefined;
    let sequence = 0;
    const client = createClient<unknown>({
      address,
      protocol: sniffing(kit.protocol, (spoken) => {
        foreign = mismatch(where, kit.name, spoken);
        void client.close();
      }),
      maxRetries: 0,
      handler: {
        onMessage: (m) => showMessage(io, json, kit, m),
        onError: (e: TaurusError) => {
          if (e.kind === "protocol" && !foreign)
            emit(io, json, { event: "dropped", code: e.code }, `dropped bytes (${e.code})`);
        },
      },
    });
    emit(
      io,
      json,
      { event: "connecting", address: where, protocol: kit.name },
      `connecting to ${where} (${kit.name})...`,
    );
    const interrupted = io.interrupted.then(() => "interrupted" as const);
    const connected = client.connect().then(
      () => "connected" as const,
      (err: unknown) => err,
    );
    const first = await Promise.race([connected, interrupted]);
    if (first === "interrupted") {
      await client.close();
      return 0;
    }
    if (first !== "connected") throw new Failure(`cannot connect to ${where}: ${reason(first)}`);
    emit(
      io,
      json,
      { event: "connected", address: where, protocol: kit.name },
      `connected to ${where}; type a line to send it`,
    );

    const closed = new Promise<TaurusError | undefined>((resolve) =>
      client.once("close", (error) => resolve(error)),
    );
    const disconnected = new Promise<TaurusError | undefined>((resolve) =>
      client.once("disconnect", (error) => resolve(error)),
    );
    if (!values.message) client.send(joinAs(kit, from));
    const lines = readline.createInterface({ input: io.stdin, terminal: false });
    const inputEnded = new Promise<void>((resolve) => lines.once("close", () => resolve()));
    lines.on("line", (line) => {
      if (line.length === 0) return;
      sequence = (sequence % 0xffffffff) + 1;
      try {
        const fields = { type, sequence, from };
        client.send(
          values.message ? kit.message(parseObject(line), fields) : kit.chat(line, fields),
        );
      } catch (err) {
        emit(io, json, { event: "not_sent", error: reason(err) }, `not sent: ${reason(err)}`);
      }
    });
    const end = await Promise.race([
      inputEnded.then(() => "input" as const),
      interrupted,
      disconnected.then((error) => ({ error })),
    ]);
    lines.close();
    await client.close();
    await closed;
    if (foreign) throw new Failure(foreign);
    if (typeof end === "object") {
      const why = end.error ? reason(end.error) : "closed by the peer";
      emit(
        io,
        json,
        { event: "disconnected", reason: end.error?.code ?? "closed" },
        `disconnected: ${why}`,
      );
      return end.error ? 1 : 0;
    }
    return 0;
  },
};

/** A line of `--message` input: a JSON object. */
export function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError("a message must be a JSON object");
  }
  return value as Record<string, unknown>;
}
