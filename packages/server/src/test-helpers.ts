// Helpers for the server's own tests: real sockets on 127.0.0.1, cleaned up after each test.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Connection, type ControlFrame, type ControlPayload } from "@taurus/core-conn";
import { type BinaryMessage, binaryControl, createBinaryProtocol } from "@taurus/protocol-binary";
import { afterEach } from "vitest";
import { createServer, type TaurusServer } from "./server";
import type { ServerConfig } from "./server-types";

export const binary = createBinaryProtocol();
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Runs `fn` after the current test, in reverse order of registration. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A message of the binary protocol carrying `text`. */
export function msg(sequence: number, text = "", type = 1): BinaryMessage {
  return { version: 1, type, sequence, data: Buffer.from(text) };
}

/** Starts a server on 127.0.0.1:0 with no rate limit unless given; closed after the test. */
export async function startServer(
  config: Partial<ServerConfig<BinaryMessage>> = {},
): Promise<{ server: TaurusServer<BinaryMessage>; port: number }> {
  const server = createServer({
    protocol: binary,
    rateLimit: Infinity,
    shutdownTimeout: 2000,
    ...config,
  });
  const { port } = await server.listen(0, "127.0.0.1");
  onCleanup(() => server.close());
  return { server, port };
}

/**
 * A raw client: a Connection over a plain socket to 127.0.0.1:port, from
 * `localAddress` (another loopback address, such as 127.0.0.2, to test
 * per-address limits) when given; destroyed after the test.
 */
export async function connectRaw(
  port: number,
  localAddress?: string,
): Promise<Connection<BinaryMessage>> {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true, localAddress });
  const conn = new Connection(socket, binary);
  onCleanup(() => conn.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return conn;
}

/** Collects the next `n` messages of `conn`. */
export function collect(conn: Connection<BinaryMessage>, n: number): Promise<BinaryMessage[]> {
  const got: BinaryMessage[] = [];
  return new Promise((resolve) => {
    if (n === 0) resolve(got);
    conn.on("message", (m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    });
  });
}

/** Resolves when `predicate` holds (the shared test toolkit of `@taurus/core-conn/testing`). */
export { until } from "@taurus/core-conn/testing";

/** A self-signed certificate for 127.0.0.1, made with openssl at test time. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "taurus-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A raw session peer on `conn`: logs the control frames it gets (unless `session` is
 * false: then it speaks no sessions) and the sequences of the data frames; `say` sends a
 * control frame; with `ack`, it acknowledges each data frame as it arrives.
 */
export function sessionPeer(
  conn: Connection<BinaryMessage>,
  { session = true, ack = false }: { session?: boolean; ack?: boolean } = {},
) {
  const controls: ControlFrame[] = [];
  const data: number[] = [];
  if (session) {
    conn.attachSession({
      sent: () => undefined,
      sendAfterClose: () => false,
      control: (f) => void controls.push(f),
    });
  }
  const say = (kind: number, payload: ControlPayload) =>
    conn.sendControl(binaryControl.encode(kind, payload));
  conn.on("message", (m) => {
    data.push(m.sequence);
    if (ack) say(5, { received: data.length });
  });
  return { conn, controls, data, say };
}
