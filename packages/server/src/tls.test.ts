import tls from "node:tls";
import { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { binary, collect, msg, onCleanup, selfSignedCert, startServer } from "./test-helpers";

describe("TLS", () => {
  it("serves the same protocol over TLS with a certificate made at test time", async () => {
    const { key, cert } = selfSignedCert();
    const { port } = await startServer({
      tls: { key, cert },
      handler: { onMessage: (c, m) => void c.send(m) },
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
    onCleanup(() => conn.close());
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
