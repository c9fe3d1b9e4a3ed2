// The one line after "listening" that tells a person how to join the room.
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The chat client of this checkout, when chat-server runs from one (apps/chat-client). */
const siblingClient = fileURLToPath(new URL("../../chat-client/dist/main.js", import.meta.url));

/** Where a client on this machine connects: a wildcard address means loopback. */
export function connectHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** "chat: <client> 127.0.0.1:8080 <name> (JSON), ...:8081 (binary); metrics: http://..." */
export function connectHint(
  host: string,
  ports: { json: number; binary: number; metrics: number; web?: number },
  client = existsSync(siblingClient)
    ? `node ${relative(process.cwd(), siblingClient) || siblingClient}`
    : "chat-client",
): string {
  const at = connectHost(host);
  return (
    `chat: ${client} ${at}:${ports.json} <name>  (JSON; ${at}:${ports.binary} for binary)` +
    (ports.web === undefined ? "" : `  web: http://${at}:${ports.web}/`) +
    `  metrics: http://${at}:${ports.metrics}/metrics  stop: Ctrl+C`
  );
}
