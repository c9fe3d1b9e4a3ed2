// Hostile conditions of the system rather than of a peer: a client that only
// receives (it must keep within the server's deadlines by itself), and a process
// that runs out of file descriptors.
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { createClient } from "@taurus/client";
import { DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT, type TaurusError } from "@taurus/core-conn";
import { DEFAULT_HANDSHAKE_TIMEOUT } from "@taurus/server";
import { describe, expect, it } from "vitest";
import { binaryKit, onCleanup, pool, record, scale, sleep, startServer, until } from "./harness";
import { attackerAddress, connectionFrom, DEFAULTS, HOSTILE, USER } from "./hostile";

describe("hostile: system", () => {
  it("a receive-only client with default options stays connected and loses no broadcast", async () => {
    const kit = binaryKit;
    // The stress run uses every default; the fast one scales the deadlines and the
    // client's keepalive interval down together (same ratios).
    const handshakeTimeout = scale(800, DEFAULT_HANDSHAKE_TIMEOUT);
    const h = await startServer(kit, {
      ...DEFAULTS,
      handshakeTimeout,
      idleTimeout: scale(1_600, DEFAULT_IDLE_TIMEOUT),
      frameTimeout: scale(800, DEFAULT_FRAME_TIMEOUT),
      onMessage: () => {},
    });
    const client = createClient({
      address: `127.0.0.1:${h.port}`,
      protocol: kit.protocol,
      ...(scale(true, false) ? { keepaliveInterval: 250 } : {}),
      connect: ({ host, port }) =>
        net.connect({ host, port, localAddress: USER, allowHalfOpen: true }),
    });
    onCleanup(() => client.close());
    const disconnects: Array<string | undefined> = [];
    client.on("disconnect", (e: TaurusError | undefined) => disconnects.push(e?.code));
    const got: number[] = [];
    client.on("message", (m) => got.push(m.sequence));
    await client.connect();
    await until(() => h.server.connectionCount === 1, 5_000, "client accepted");
    let sequence = 0;
    const rate = 500;
    const timer = setInterval(() => {
      for (let i = 0; i < rate / 100; i++) h.server.broadcast(kit.message(++sequence, "news"));
    }, 10);
    onCleanup(() => clearInterval(timer));
    const duration = scale(3_000, 25_000);
    await sleep(duration);
    clearInterval(timer);
    await until(() => got.at(-1) === sequence, 5_000, "last broadcast").catch(() => {});
    const expected = Array.from({ length: sequence }, (_, i) => i + 1);
    const missing = sequence - got.length;
    record("hostile-receive-only-client", {
      group: HOSTILE,
      title: "a client that only receives, default options",
      load: `${rate} broadcasts/s for ${duration} ms`,
      faults: `server handshakeTimeout ${handshakeTimeout} ms${scale(", client keepalive 250 ms (scaled)", "")}`,
      badInputs: "none",
      lost: missing,
      lostUnit: "broadcasts",
      observed: {
        disconnects,
        received: got.length,
        keepalivesAnswered: client.connection?.stats.keepalivesIn ?? 0,
        serverCloses: h.closes.toJSON(),
      },
    });
    expect(disconnects).toEqual([]);
    expect(got).toEqual(expected);
    expect(h.handled.size === 0 || [...h.handled.values()].every((l) => l.length === 0)).toBe(true);
  });

  it("running out of file descriptors: ports stay up, reported once, accepting resumes", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/fd-server.mjs", import.meta.url));
    const limit = 128;
    const proc = spawn(
      "sh",
      ["-c", `ulimit -n ${limit} && exec "${process.execPath}" "${fixture}"`],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    onCleanup(() => proc.kill("SIGKILL"));
    const lines: Array<Record<string, unknown>> = [];
    let buffered = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
      }
    });
    await until(() => lines.some((l) => l.port), 10_000, "fd server listening");
    const port = lines.find((l) => l.port)?.port as number;
    const storm = scale(3, 10) * limit;
    const sockets = await pool(storm, 100, async (i) => {
      const s = net.connect({ host: "127.0.0.1", port, localAddress: attackerAddress(i) });
      s.on("error", () => {});
      onCleanup(() => s.destroy());
      await new Promise<void>((r) => {
        s.once("connect", () => r());
        s.once("error", () => r());
        s.once("close", () => r());
      });
      return s;
    });
    await until(() => lines.some((l) => l.event === "paused"), 10_000, "exhaustion reported");
    const held = Math.max(...lines.map((l) => Number(l.connections ?? 0)));
    for (const s of sockets) s.destroy();
    await until(() => lines.some((l) => l.event === "resumed"), 10_000, "accepting resumed");
    // A user is served on the same port.
    const user = await connectionFrom(binaryKit, port, USER);
    const echoed = new Promise<number>((r) => user.on("message", (m) => r(m.sequence)));
    user.send(binaryKit.message(7, "hello"));
    expect(await echoed).toBe(7);
    const reports = lines.filter((l) => l.error === "FD_EXHAUSTED").length;
    const pauses = lines.filter((l) => l.event === "paused").length;
    record("hostile-fd-exhaustion", {
      group: HOSTILE,
      title: "running out of file descriptors",
      load: `${storm} connections against a process limited to ${limit} descriptors`,
      faults: `ulimit -n ${limit}`,
      badInputs: "none",
      lost: 0,
      observed: { heldAtMost: held, fdExhaustedReports: reports, pauses },
    });
    expect(reports).toBe(1);
    expect(pauses).toBe(1);
    expect(held).toBeLessThan(limit);
  });
});
