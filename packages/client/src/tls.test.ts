import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "./client";
import {
  onCleanup,
  rejection,
  runCleanups,
  seq,
  startRawServer,
  startServer,
  until,
} from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

let key = "";
let cert = "";
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "taurus-client-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      join(dir, "k.pem"),
      "-out",
      join(dir, "c.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: "ignore" },
  );
  key = readFileSync(join(dir, "k.pem"), "utf8");
  cert = readFileSync(join(dir, "c.pem"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(runCleanups);

describe("TLS", () => {
  it("connects over TLS to a Taurus TLS server, verifying its certificate", async () => {
    const srv = await startServer({
      tls: { key, cert },
      handler: { onMessage: (m, conn) => void conn.send({ ...m, text: `tls:${m.text}` }) },
    });
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${srv.port}`,
      protocol: seq,
      tls: { ca: cert },
    });
    onCleanup(() => c.close());
    const got: string[] = [];
    c.on("message", (m) => got.push(m.text));
    await c.connect();
    c.send({ sequence: 0, text: "hi" });
    await until(() => got.length === 1, "echo over TLS");
    expect(got).toEqual(["tls:hi"]);
    expect(c.connection?.socket.constructor.name).toBe("TLSSocket");
    await c.close();
    expect(c.stats.messagesSent).toBe(1);
  });

  it("fails with SOCKET when the certificate is not trusted", async () => {
    // A plain node:tls server: a Taurus TLS server keeps the aborted handshake's socket (see the report).
    const sockets = new Set<import("node:net").Socket>();
    const server = tls.createServer({ key, cert }, () => {});
    server.on("connection", (socket) => sockets.add(socket));
    server.on("tlsClientError", () => {});
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    onCleanup(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as AddressInfo;
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      tls: {},
      maxRetries: 0,
    });
    const error = await rejection(c.connect());
    expect(error.code).toBe("SOCKET");
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("times out with CONNECT_TIMEOUT against a server that never answers the handshake", async () => {
    const port = await startRawServer((socket) => socket.resume()); // reads, never writes
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      tls: { ca: cert },
      connectTimeout: 50,
      maxRetries: 0,
    });
    const error = await rejection(c.connect());
    expect(error.code).toBe("CONNECT_TIMEOUT");
    expect(c.state).toBe("closed");
  });
});
