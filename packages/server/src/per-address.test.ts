// Per-address limits, on by default: the attacker connects from 127.0.0.2, the
// legitimate user from 127.0.0.3, and the legitimate user is served throughout.
import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { createServer } from "./server";
import { binary, collect, connectRaw, msg, startServer, until } from "./test-helpers";

const ATTACKER = "127.0.0.2";
const USER = "127.0.0.3";

function closedOf(conn: { once(event: "close", fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => conn.once("close", () => resolve()));
}

/** Echoes once through `conn` and resolves with the reply's sequence. */
async function echo(port: number, sequence: number): Promise<number> {
  const user = await connectRaw(port, USER);
  const got = collect(user, 1);
  user.send(msg(sequence));
  return (await got)[0]?.sequence ?? -1;
}

describe("per-address limits (defaults)", () => {
  it("caps concurrent connections of one address at 32; another address is served", async () => {
    const codes: string[] = [];
    const { server, port } = await startServer({
      handler: { onMessage: (m, c) => void c.send(m), onError: (e) => codes.push(e.code) },
      // Only the concurrency cap is under test here.
      perAddress: { ratePerSecond: Number.POSITIVE_INFINITY },
    });
    const attackers = await Promise.all(
      Array.from({ length: 40 }, () => connectRaw(port, ATTACKER)),
    );
    await until(() => server.metrics.snapshot().connection_refused === 8);
    expect(server.connectionCount).toBe(32);
    expect(await echo(port, 7)).toBe(7);
    expect(codes.filter((c) => c === "CONNECTION_LIMIT")).toHaveLength(8);
    for (const a of attackers) a.destroy();
  });

  it("limits new connections per second of one address (burst 20); another address is served", async () => {
    const { server, port } = await startServer({
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    const started = performance.now();
    for (let i = 0; i < 40; i++) {
      const a = await connectRaw(port, ATTACKER);
      const gone = closedOf(a);
      a.destroy();
      await gone;
    }
    const seconds = (performance.now() - started) / 1000;
    await until(() => server.connectionCount === 0);
    const { connection_refused: refused, total_connections: accepted } = server.metrics.snapshot();
    expect(accepted + refused).toBe(40);
    // 20 of burst, plus what the 10/s refill let in meanwhile.
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(20 + Math.ceil(10 * seconds));
    expect(await echo(port, 8)).toBe(8);
  });

  it("shares one message budget among an address's connections, before decoding", async () => {
    const handled = new Map<string, number>();
    const { server, port } = await startServer({
      perAddress: { messagesPerSecond: 100, messageBurst: 100 },
      handler: {
        onMessage: (m, c) => {
          const key = c.remoteAddress ?? "";
          handled.set(key, (handled.get(key) ?? 0) + 1);
          c.send(m);
        },
      },
    });
    const attackers = await Promise.all(
      Array.from({ length: 10 }, () => connectRaw(port, ATTACKER)),
    );
    const started = performance.now();
    for (const a of attackers) for (let i = 1; i <= 20; i++) a.send(msg(i));
    // 200 messages against a shared 100/s with a burst of 100: 1 s at least, when shared.
    await until(() => (handled.get(ATTACKER) ?? 0) >= 100);
    // Let the budget refill for 30 more (0.3 s at 100/s), then check the pace held.
    await until(() => (handled.get(ATTACKER) ?? 0) >= 130);
    const soFar = handled.get(ATTACKER) ?? 0;
    expect(soFar).toBeLessThanOrEqual(100 + 100 * ((performance.now() - started) / 1000) + 1);
    // The legitimate user's address has its own budget and is answered at once.
    expect(await echo(port, 9)).toBe(9);
    // Paused, not dropped: every attacker message is handled in the end.
    await until(() => handled.get(ATTACKER) === 200, { timeout: 10_000 });
    expect(server.metrics.snapshot().errors_by_code.RATE_LIMITED).toBeUndefined();
  });

  it("exempts trusted addresses and CIDR blocks", async () => {
    const { server, port } = await startServer({
      perAddress: { maxConcurrent: 1, trusted: ["127.0.0.0/30"] },
    });
    await Promise.all(Array.from({ length: 5 }, () => connectRaw(port, ATTACKER)));
    await until(() => server.connectionCount === 5);
    await connectRaw(port, "127.0.0.5");
    const extra = await connectRaw(port, "127.0.0.5");
    await closedOf(extra);
    expect(server.metrics.snapshot().connection_refused).toBe(1);
  });

  it("can be turned off", async () => {
    const { server, port } = await startServer({ perAddress: false });
    await Promise.all(Array.from({ length: 40 }, () => connectRaw(port, ATTACKER)));
    await until(() => server.connectionCount === 40);
    expect(server.metrics.snapshot().connection_refused).toBe(0);
  });

  it("names the option the user wrote when a value is invalid", () => {
    const optionOf = (perAddress: object): string => {
      try {
        createServer({ protocol: binary, perAddress });
      } catch (err) {
        expect(isTaurusError(err, "INVALID_OPTION")).toBe(true);
        return /option (\S+)/.exec((err as TaurusError).message)?.[1] ?? "";
      }
      throw new Error("expected a throw");
    };
    expect(optionOf({ maxConcurrent: 0 })).toBe("perAddress.maxConcurrent");
    expect(optionOf({ ratePerSecond: -1 })).toBe("perAddress.ratePerSecond");
    expect(optionOf({ burst: 1.5 })).toBe("perAddress.burst");
    expect(optionOf({ messagesPerSecond: 0 })).toBe("perAddress.messagesPerSecond");
    expect(optionOf({ messageBurst: 0 })).toBe("perAddress.messageBurst");
    expect(optionOf({ trusted: ["10.0.0.0/33"] })).toBe("perAddress.trusted");
    expect(optionOf({ trusted: ["not an address"] })).toBe("perAddress.trusted");
  });

  it("derives default bursts that the rate limiters accept, however large the rates", () => {
    // A burst derived from a huge rate once reached @taurus/ratelimit as an infinite
    // `perIpBurst`, an option the user never wrote: the default is now capped.
    const server = createServer({
      protocol: binary,
      perAddress: { ratePerSecond: 1e308, messagesPerSecond: 1e308 },
    });
    expect(server.connectionCount).toBe(0);
    try {
      createServer({ protocol: binary, perAddress: { ratePerSecond: 0 } });
    } catch (err) {
      expect((err as TaurusError).option).toBe("perAddress.ratePerSecond");
    }
  });
});
