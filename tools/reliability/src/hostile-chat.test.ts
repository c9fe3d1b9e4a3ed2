// Hostile peers against chat-server (a real process, default flags unless stated):
// connection churn, join and leave storms, a log flood, a peer that never reads,
// and refusals that say why. Attackers on 127.0.0.2 and 127.0.1.x, users on 127.0.0.3-5.
import { describe, expect, it } from "vitest";
import { pool, record, scale, sleep, until } from "./harness";
import {
  attackerAddress,
  chatPeer,
  HOSTILE,
  quantile,
  socketFrom,
  startChat,
  USER,
} from "./hostile";

const SYSTEM = 1;
const USER_MESSAGE = 2;
const USERS = [USER, "127.0.0.4", "127.0.0.5"];

/** Waits until chat-server's /healthz counts `n` connections. */
async function serving(metricsPort: number, n: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const health = (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as {
      connections: number;
    };
    if (health.connections === n) return;
    if (Date.now() - started > 10_000)
      throw new Error(`${health.connections} connections, not ${n}`);
    await sleep(20);
  }
}

/** Whether `inbox` has the join (or a notice naming) `name`. */
const hasJoin = (inbox: Array<{ from: string; content: string }>, name: string): boolean =>
  inbox.some((m) => m.from === name || m.content.includes(`${name}:`));

/** Three users who joined, each with its own inbox. */
async function joinUsers(chat: { json: number; metrics: number }) {
  const users = await Promise.all(USERS.map((a) => chatPeer(chat.json, a)));
  await serving(chat.metrics, users.length);
  for (const [i, u] of users.entries()) u.send(SYSTEM, `user${i}`, "joined");
  // Each sees every join (coalesced or not) before the case starts.
  await until(
    () => users.every((u) => USERS.every((_, i) => hasJoin(u.inbox, `user${i}`))),
    10_000,
    "users joined",
  );
  return users;
}

/** Users talk every `interval` ms; returns the round trips and what each missed. */
function talk(users: Awaited<ReturnType<typeof joinUsers>>, interval = 50) {
  const sentAt = new Map<string, number>();
  const timer = setInterval(() => {
    for (const [i, u] of users.entries()) {
      const text = `t${i}-${sentAt.size}`;
      sentAt.set(text, performance.now());
      u.send(USER_MESSAGE, `user${i}`, text);
    }
  }, interval);
  return {
    async stop() {
      clearInterval(timer);
      const texts = [...sentAt.keys()];
      await until(
        () => users.every((u) => texts.every((t) => u.inbox.some((m) => m.content === t))),
        20_000,
        "every user message delivered",
      ).catch(() => {});
      const rtts: number[] = [];
      let lost = 0;
      for (const [i, u] of users.entries()) {
        for (const t of texts) {
          const got = u.inbox.find((m) => m.content === t);
          if (!got) lost++;
          else if (t.startsWith(`t${i}-`)) rtts.push(got.at - (sentAt.get(t) ?? got.at));
        }
      }
      return {
        sent: texts.length,
        lost,
        p50: Math.round(quantile(rtts, 0.5)),
        p99: Math.round(quantile(rtts, 0.99)),
        max: Math.round(quantile(rtts, 1)),
      };
    },
  };
}

const notices = (inbox: Array<{ type: number }>, from = 0): number =>
  inbox.slice(from).filter((m) => m.type === SYSTEM).length;

describe("hostile: chat-server", () => {
  it("connection churn without joining announces nothing, and never an address", async () => {
    const chat = await startChat();
    const users = await joinUsers(chat);
    const before = users.map((u) => u.inbox.length);
    const churns = scale(200, 5000);
    const started = performance.now();
    await pool(churns, 50, async (i) => {
      // 20 per address: each address's burst of new connections.
      const s = await socketFrom(chat.json, attackerAddress(i, 20)).catch(() => undefined);
      s?.destroy();
    });
    const seconds = (performance.now() - started) / 1000;
    await sleep(1500); // a coalesced notice would have gone out by now
    const seen = users.map((u, i) => notices(u.inbox, before[i]));
    const withAddress = users.flatMap((u) =>
      u.inbox.filter((m) => /\b127\.\d+\.\d+\.\d+\b/.test(m.content)),
    );
    record("hostile-chat-churn", {
      group: HOSTILE,
      title: "chat: connect and close without joining, over and over",
      load: `${churns} connections opened and closed from ${Math.ceil(churns / 20)} addresses in ${seconds.toFixed(1)} s, 3 joined users`,
      faults: "none",
      badInputs: "none",
      lost: 0,
      observed: { noticesPerUser: seen, noticesWithAnAddress: withAddress.length },
    });
    expect(seen).toEqual([0, 0, 0]);
    expect(withAddress).toEqual([]);
  });

  it("a storm of joins, then of leaves, costs each user a few notices; users lose nothing and wait little", async () => {
    const chat = await startChat();
    const users = await joinUsers(chat);
    const before = users.map((u) => u.inbox.length);
    const conversation = talk(users);
    const joiners = scale(300, 1500);
    const started = performance.now();
    const peers = await pool(joiners, 50, async (i) => {
      const p = await chatPeer(chat.json, attackerAddress(i, 20));
      p.send(SYSTEM, `j${i}`, "加入了聊天室");
      return p;
    });
    await sleep(1200);
    for (const p of peers) p.conn.destroy();
    await sleep(2500);
    const seconds = (performance.now() - started) / 1000;
    const talked = await conversation.stop();
    const seen = users.map((u, i) => notices(u.inbox, before[i]));
    const listed = users[0]?.inbox
      .slice(before[0])
      .filter((m) => m.type === SYSTEM)
      .map((m) => m.content.length);
    record("hostile-chat-join-storm", {
      group: HOSTILE,
      title: "chat: a storm of joins, then all of them leave at once",
      load: `${joiners} peers join from ${Math.ceil(joiners / 20)} addresses, then close; 3 users talking every 50 ms`,
      faults: "none",
      badInputs: "none",
      lost: talked.lost,
      lostUnit: "user messages not delivered to every user",
      observed: {
        seconds: Math.round(seconds * 10) / 10,
        noticesPerUser: seen,
        largestNoticeChars: Math.max(0, ...(listed ?? [])),
        userRttMs: { p50: talked.p50, p99: talked.p99, max: talked.max },
      },
    });
    expect(talked.lost).toBe(0);
    // One notice at once, then at most one batch per second (up to 3 notices when a batch
    // is small): a number of intervals, not of joins and leaves.
    for (const n of seen) expect(n).toBeLessThanOrEqual(3 * (Math.ceil(seconds) + 1));
    expect(talked.p99).toBeLessThan(2_000);
  });

  it("a flood of unknown messages logs a few lines and a summary, not a line per message", async () => {
    const chat = await startChat(["--log-interval", "1s"]);
    const flooders = await Promise.all(
      Array.from({ length: scale(50, 100) }, (_, i) => chatPeer(chat.json, attackerAddress(i, 20))),
    );
    const linesBefore = chat.logs.length;
    const duration = scale(2_500, 10_000);
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < duration) {
      for (const f of flooders) {
        if (f.conn.queuedMessages < 100) {
          f.send(99, "x", "what is this");
          sent++;
        }
      }
      await sleep(10);
    }
    await sleep(1200); // the last interval's summary
    const lines = chat.logs.slice(linesBefore);
    const unknown = lines.filter((l) => l.msg === "unknown message type").length;
    const summaries = lines.filter((l) => l.msg === "repeated log lines suppressed");
    const suppressed = summaries.reduce(
      (n, l) => n + Number((l.suppressed as Record<string, number>).UNKNOWN_TYPE ?? 0),
      0,
    );
    const intervals = Math.ceil((performance.now() - started) / 1000);
    record("hostile-chat-log-flood", {
      group: HOSTILE,
      title: "chat: a flood of messages of an unknown type",
      load: `${flooders.length} connections from ${Math.ceil(flooders.length / 20)} addresses for ${duration} ms (${sent} messages offered)`,
      faults: "--log-interval 1s",
      badInputs: "message type 99",
      lost: 0,
      observed: {
        logLines: lines.length,
        unknownTypeLines: unknown,
        summaries: summaries.length,
        suppressed,
      },
    });
    // At most 10 lines per code per interval, and a summary accounts for the rest.
    expect(unknown).toBeLessThanOrEqual(10 * intervals);
    expect(summaries.length).toBeGreaterThan(0);
    expect(suppressed).toBeGreaterThan(unknown);
    expect(lines.length).toBeLessThan(12 * intervals + 20);
  });

  it("a joined peer that never reads is evicted; its misses cost no line each", async () => {
    const chat = await startChat(["--write-timeout", scale("1s", "5s"), "--log-interval", "1s"]);
    const users = await joinUsers(chat);
    const sink = await chatPeer(chat.json, "127.0.0.2");
    sink.send(SYSTEM, "sink", "joined");
    await until(() => hasJoin(users[0]?.inbox ?? [], "sink"), 5_000, "sink joined");
    sink.conn.socket.pause();
    sink.conn.pause();
    const linesBefore = chat.logs.length;
    const payload = "p".repeat(30_000);
    let sent = 0;
    const started = performance.now();
    while (
      !users[0]?.inbox.some((m) => m.content === "sink disconnected") &&
      performance.now() - started < 30_000
    ) {
      for (const [i, u] of users.entries()) {
        if (u.conn.queuedMessages < 50) {
          u.send(USER_MESSAGE, `user${i}`, payload);
          sent++;
        }
      }
      await sleep(20);
    }
    const evictedAfter = performance.now() - started;
    await sleep(1200);
    const lines = chat.logs.slice(linesBefore);
    const queueLines = lines.filter((l) => l.code === "SEND_QUEUE_FULL").length;
    const evicted = lines.some((l) => l.msg === "disconnected" && l.reason === "SLOW_CONSUMER");
    record("hostile-chat-never-reads", {
      group: HOSTILE,
      title: "chat: a joined peer that never reads",
      load: `3 users sending 30 KB messages (${sent} in all) until it is gone`,
      faults: `--write-timeout ${scale("1s", "5s")}`,
      badInputs: "never reads",
      lost: 0,
      observed: {
        evictedAfterMs: Math.round(evictedAfter),
        logLines: lines.length,
        sendQueueFullLines: queueLines,
      },
    });
    expect(users[0]?.inbox.some((m) => m.content === "sink disconnected")).toBe(true);
    expect(evicted || lines.some((l) => l.msg === "repeated log lines suppressed")).toBe(true);
    // One line per code and connection per 1 s interval at most, not one per missed message.
    expect(queueLines).toBeLessThanOrEqual(Math.ceil(evictedAfter / 1000) + 1);
  });

  it("a refused connection is told why before the close", async () => {
    const chat = await startChat(["--max-connections-per-address", "2"]);
    await chatPeer(chat.json, "127.0.0.2");
    await chatPeer(chat.json, "127.0.0.2");
    const third = await chatPeer(chat.json, "127.0.0.2");
    await until(() => third.conn.state === "closed", 5_000, "refused");
    const user = await chatPeer(chat.json, USER);
    user.send(SYSTEM, "u", "加入了聊天室");
    user.send(USER_MESSAGE, "u", "still here");
    await until(() => user.inbox.some((m) => m.content === "still here"), 5_000, "user served");
    record("hostile-chat-farewell", {
      group: HOSTILE,
      title: "chat: a refused connection learns why",
      load: "3 connections from one address with --max-connections-per-address 2",
      faults: "none",
      badInputs: "none",
      lost: 0,
      observed: { farewell: third.inbox.map((m) => m.content) },
    });
    expect(third.inbox).toEqual([
      expect.objectContaining({
        type: SYSTEM,
        from: "server",
        content: expect.stringContaining("(CONNECTION_LIMIT)"),
      }),
    ]);
  });
});
