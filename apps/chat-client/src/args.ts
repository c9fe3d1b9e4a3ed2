// chat-client <host:port> <username> [--protocol json|binary]
import { parseArgs } from "node:util";

export type ProtocolName = "json" | "binary";

export interface Args {
  host: string;
  port: number;
  username: string;
  protocol: ProtocolName;
  /** Print each received message as a JSON line instead of text. */
  json?: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: chat-client <host:port> <username> [--protocol json|binary]

Joins the chat room of a Taurus (or Go taurus-pro-tcp) chat server.
Type a line to send it. "/msg <name> <text>" sends it to one user only;
"/join #room" joins a room (typed lines then go there), "/leave" goes back to
the main room, "/rooms" and "/who [#room]" ask the server (a Taurus one);
"quit", Ctrl+D or Ctrl+C leaves.

Options:
  --protocol json|binary   the wire protocol (default: binary for port 8081, json otherwise)
  --json                   print each message received as one JSON line (for scripts)
  --help                   show this help

Join and leave notices are in English, or in Chinese when the locale (LANG) is zh.
`;

export function parseCliArgs(argv: string[]): Args | "help" {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        protocol: { type: "string" };
        help: { type: "boolean" };
        json: { type: "boolean" };
      };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        protocol: { type: "string" },
        help: { type: "boolean" },
        json: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) return "help";
  const [address, username, ...rest] = parsed.positionals;
  if (!address || !username || rest.length > 0)
    throw new UsageError("expected <host:port> <username>");
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`not a host:port address: ${address}`);
  }
  const protocol = parsed.values.protocol ?? (port === 8081 ? "binary" : "json");
  if (protocol !== "json" && protocol !== "binary")
    throw new UsageError(`unknown protocol: ${protocol}`);
  return parsed.values.json
    ? { host, port, username, protocol, json: true }
    : { host, port, username, protocol };
}
