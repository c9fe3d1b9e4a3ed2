/**
 * A line chat room over the line protocol, to try with `nc`: every line a
 * user sends goes to everyone else, prefixed with their name. Needs
 * `@taurus/server` (a dev dependency of this example).
 */
import type { Connection } from "@taurus/core-conn";
import { createServer, type TaurusServer } from "@taurus/server";
import { createLineProtocol } from "./index.js";

/** Options of {@link createLineServer}. */
export interface LineServerOptions {
  /**
   * The largest line, newline included.
   * @defaultValue 4096
   */
  maxMessageSize?: number;
}

const nameOf = (conn: Connection<string>): string => String(conn.attributes.get("name"));

/** Sends `line` unless the connection is closing or its queue is full (a chat line may be lost). */
function tell(conn: Connection<string>, line: string): void {
  if (conn.state !== "open") return;
  try {
    conn.send(line);
  } catch {
    // SEND_QUEUE_FULL: this reader is too slow for the room; the server reports it to onError.
  }
}

/**
 * Creates the chat server (not yet listening). A line over the limit is
 * skipped whole and its sender told so; a line that is not UTF-8 is refused
 * the same way.
 *
 * @param options - see {@link LineServerOptions}
 * @returns the server: call `listen(port, host)`, then `close()`
 */
export function createLineServer(options: LineServerOptions = {}): TaurusServer<string> {
  const protocol = createLineProtocol({ maxMessageSize: options.maxMessageSize ?? 4096 });
  let users = 0;
  const server: TaurusServer<string> = createServer({
    protocol,
    handler: {
      onConnect(conn) {
        conn.attributes.set("name", `user${++users}`);
        tell(conn, `* welcome, ${nameOf(conn)}: type a line, it goes to everyone else`);
      },
      onMessage(line, conn) {
        if (line === "") return;
        server.broadcast(`${nameOf(conn)}: ${line}`, { except: conn });
      },
      onError(error, conn) {
        if (conn === undefined) return;
        if (error.code === "MESSAGE_TOO_LARGE") {
          tell(conn, `! line too long (at most ${protocol.maxMessageSize - 1} bytes): not sent`);
        } else if (error.code === "MALFORMED_BODY") {
          tell(conn, "! that line is not UTF-8: not sent");
        }
      },
    },
  });
  return server;
}
