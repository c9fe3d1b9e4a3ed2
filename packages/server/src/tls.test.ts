import net from "node:net";
import tls from "node:tls";
import { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { createServer } from "./server";
import { binary, collect, msg, onCleanup, selfSignedCert, startServer } from "./test-helpers";

describe("TLS", () => {
  it("serves the same protocol over TLS with a certificate made at test time", async () => {
    const { key, cert } = selfSignedCert();
    const { port } = await startServer({
      tls: { key, cert },
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    // allowHalfOpen is honoured by tls.connect but missing from its typings.
    const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
      host: "127.0.0.1",
      port,
      ca: cert,
      allowHalfOpen: true,
    };
    const socket = tls.connect(options);
    const conn = new Connection<BinaryMessage>(socket, binary);
    onCleanup(() => conn.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    expect(socket.authorized).toBe(true);
    const got = collect(conn, 2);
    conn.send(msg(1, "secret"));
    conn.send(msg(2, "more"));
    expect((await got).map((m) => Buffer.from(m.data).toString())).toEqual(["secret", "more"]);
  });
});

describe("TLS handshakes that never complete", () => {
  it("drops a client that rejects the certificate, and still closes promptly", async () => {
    const { key, cert } = selfSignedCert();
    const codes: string[] = [];
    const server = createServer({
      protocol: binary,
      tls: { key, cert },
      shutdownTimeout: 5000,
      handler: { onError: (e) => codes.push(e.code) },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    const socket = tls.connect({ host: "127.0.0.1", port }); // no ca: rejects the self-signed cert
    onCleanup(() => socket.destroy());
    await new Promise<void>((resolve) => socket.once("error", () => resolve()));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(server.connectionCount).toBe(0);
  });

  it("closes a TCP peer that never starts the handshake after handshakeTimeout", async () => {
    const { key, cert } = selfSignedCert();
    const codes: string[] = [];
    const { port } = await startServer({
      tls: { key, cert },
      handshakeTimeout: 100,
      handler: { onError: (e) => codes.push(e.code) },
    });
    const raw = net.connect({ host: "127.0.0.1", port });
    onCleanup(() => raw.destroy());
    await new Promise<void>((resolve) => raw.once("close", () => resolve()));
    expect(codes).toEqual(["HANDSHAKE_TIMEOUT"]);
  });
});
