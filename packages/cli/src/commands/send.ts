// taurus send: one message (or --count of them), flushed, then the connection is closed.
import { createClient } from "@taurus/client";
import { COMMON, formatAddress, parse, parseAddress, parseCount, parseDuration } from "../args";
import { type Command, emit, kitFor, PROTOCOL_HELP, showMessage } from "../command";
import { Failure, reason, UsageError } from "../errors";
import type { Io } from "../io";
import { defaultName, joinAs, USER } from "../kits";
import { mismatch } from "../mismatch";
import { sniffing } from "../sniff";
import { parseObject } from "./connect";

const USAGE = `Usage: taurus send <host:port> <text...> [options]
       taurus send <host:port> --message '<json>' [options]

Connects, sends one message, waits until it is written, and closes.

Options:
${PROTOCOL_HELP}
  --from NAME          the sender of the chat message, joined first (a chat server
                       relays nothing before a join) (default: taurus-<4 hex digits>)
  --type N             the message type (default: 2, a chat user message)
  --message JSON       send this whole message instead of a chat message carrying text
  --count N            send it N times, sequences 1 to N (default: 1)
  --reply              wait for the message that comes back with the same sequence
                       (an echo, a chat broadcast, a reply) and print it
  --timeout DURATION   how long to wait for the connection and the reply (default: 5s)
  --json               print the result (and the reply) as JSON
  -h, --help           show this help
`;

const OPTIONS = {
  ...COMMON,
  from: { type: "string" },
  type: { type: "string" },
  message: { type: "string" },
  count: { type: "string" },
  reply: { type: "boolean" },
  timeout: { type: "string" },
} as const;

export const send: Command = {
  name: "send",
  summary: "send a message (or N) and close; --reply waits for the answer",
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const [target, ...words] = positionals;
    const address = parseAddress(target);
    if ((words.length === 0) === (values.message === undefined)) {
      throw new UsageError("give either the text to send or --message JSON");
    }
    const kit = await kitFor(values.protocol, address);
    const json = values.json === true;
    const type = values.type === undefined ? USER : parseCount("type", values.type, 0, 0xffffffff);
    const count = values.count === undefined ? 1 : parseCount("count", values.count, 1, 1e7);
    const timeout = parseDuration("timeout", values.timeout ?? "5s");
    const body = values.message === undefined ? undefined : parseObject(values.message);
    const from = values.from ?? defaultName();
    const where = formatAddress(address);
    const make = (sequence: number) =>
      body
        ? kit.message(body, { type, sequence, from })
        : kit.chat(words.join(" "), { type, sequence, from });
    // Encode once before connecting: a message the protocol refuses is a usage error.
    try {
      kit.protocol.encode(make(1));
    } catch (err) {
      throw new UsageError(`the protocol ${kit.name} refuses this message: ${reason(err)}`);
    }

    let foreign: string | undefined;
    const client = createClient<unknown>({
      address,
      protocol: sniffing(kit.protocol, (spoken) => {
        foreign = mismatch(where, kit.name, spoken);
      }),
      maxRetries: 0,
      connectTimeout: timeout,
      requestTimeout: timeout,
      closeTimeout: timeout,
    });
    try {
      await client.connect();
    } catch (err) {
      throw new Failure(`cannot connect to ${where}: ${reason(err)}`);
    }
    let reply: unknown;
    try {
      if (body === undefined) client.send(joinAs(kit, from));
      for (let i = 1; i < count; i++) client.send(make(i));
      const last = make(count);
      if (values.reply) reply = await client.request(last);
      else client.send(last);
    } catch (err) {
      await client.close();
      if (foreign) throw new Failure(foreign);
      throw new Failure(`${values.reply ? "no reply" : "not sent"}: ${reason(err)}`);
    } finally {
      await client.close();
    }
    if (foreign) throw new Failure(foreign);
    emit(
      io,
      json,
      { event: "sent", address: where, protocol: kit.name, count },
      `sent ${count} message${count === 1 ? "" : "s"} to ${where} (${kit.name})`,
    );
    if (reply !== undefined) showMessage(io, json, kit, reply, { reply: true });
    return 0;
  },
};
