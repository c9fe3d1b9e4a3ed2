// The web chat page in headless Chromium (Debian's chromium, driven by playwright-core): two
// browser users and TCP users of both protocols chat in one room, the page reconnects after
// the server restarts, a user whose WebSocket is cut misses nothing and sees nothing twice
// (sessions), and the page logs no errors.
import { existsSync } from "node:fs";
import { type CutProxy, startCutProxy } from "@taurus/core-conn/testing";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { peer, startChatServer, until } from "./test-chat";

/** What the page functions below use of the page's DOM (they run in the browser). */
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const cleanups: Array<() => unknown> = [];
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`,
    );
  }
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface WebUser {
  page: Page;
  /** Console errors and uncaught exceptions, with the phase they happened in. */
  problems: string[];
  lines(): Promise<string[]>;
  say(text: string): Promise<void>;
}

let phase = "start";

async function webUser(url: string, name: string): Promise<WebUser> {
  const context = await browser.newContext();
  cleanups.push(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${phase}: console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${phase}: page error: ${e.message}`));
  await page.goto(url);
  await page.fill("#name", name);
  await page.click("#join");
  await page.waitForFunction(
    (n) => document.getElementById("status")?.textContent === `connected as ${n}`,
    name,
  );
  return {
    page,
    problems,
    lines: () => page.$$eval("#log li", (items) => items.map((li) => li.textContent ?? "")),
    say: async (text) => {
      await page.fill("#text", text);
      await page.click("#send");
    },
  };
}

/** A cut proxy (`@taurus/core-conn/testing`) in front of the web port (page and WebSocket). */
async function cutProxy(target: number): Promise<CutProxy> {
  const proxy = await startCutProxy(target);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function seen(user: WebUser, line: string): Promise<void> {
  await user.page.waitForFunction(
    (l) => [...document.querySelectorAll("#log li")].some((li) => li.textContent === l),
    line,
    { timeout: 20_000 },
  );
}

describe("web chat page", () => {
  it("browsers and TCP users of both protocols chat; the page reconnects after a restart", async () => {
    phase = "start";
    const first = await startChatServer(["--web-port", "0"], cleanups);
    const web = first.logs.find((e) => e.msg === "listening")?.web as number;
    expect(web).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${web}/`;

    const ann = await webUser(url, "ann");
    const bob = await webUser(url, "bob");
    const carol = await peer(first.json, "json", cleanups, { name: "carol" });
    const dave = await peer(first.binary, "binary", cleanups, { name: "dave" });
    await seen(ann, "dave:加入了聊天室");

    // Browser to everyone.
    await ann.say("hello from <b>ann</b>");
    await seen(bob, "ann:hello from <b>ann</b>");
    await until(() =>
      carol.inbox.some((m) => m.from === "ann" && m.content === "hello from <b>ann</b>"),
    );
    await until(() =>
      dave.inbox.some((m) => m.from === "ann" && m.content === "hello from <b>ann</b>"),
    );
    // Inserted as text: no element was made from the message.
    expect(await bob.page.$$eval("#log b", (b) => b.length)).toBe(0);

    // TCP (both protocols) to the browsers.
    carol.send({ type: 2, sequence: 2, from: "carol", to: "", content: "hi from json" });
    dave.send({ type: 2, sequence: 2, from: "dave", to: "", content: "hi from binary" });
    for (const user of [ann, bob]) {
      await seen(user, "carol:hi from json");
      await seen(user, "dave:hi from binary");
    }

    // The server restarts on the same web port: the pages reconnect and join again.
    phase = "restart";
    await first.stop();
    const second = await startChatServer(["--web-port", String(web)], cleanups);
    for (const [user, name] of [
      [ann, "ann"],
      [bob, "bob"],
    ] as const) {
      await user.page.waitForFunction(
        (n) => document.getElementById("status")?.textContent === `connected as ${n}`,
        name,
        { timeout: 30_000 },
      );
    }
    phase = "after restart";
    const erin = await peer(second.json, "json", cleanups, { name: "erin" });
    await seen(bob, "erin:加入了聊天室");
    await bob.say("back again");
    await seen(ann, "bob:back again");
    await until(() => erin.inbox.some((m) => m.from === "bob" && m.content === "back again"));

    // No page error ever; no console error outside the outage. While the server is down the
    // browser itself logs each refused WebSocket connection, which a page cannot silence.
    for (const user of [ann, bob]) {
      const unexpected = user.problems.filter(
        (p) =>
          !(
            p.startsWith("restart: console error: WebSocket connection to") && p.includes("failed")
          ),
      );
      expect(unexpected).toEqual([]);
    }
  }, 90_000);

  it("a browser user whose WebSocket is cut misses nothing and sees nothing twice", async () => {
    phase = "cuts";
    const server = await startChatServer(["--web-port", "0"], cleanups);
    const web = server.logs.find((e) => e.msg === "listening")?.web as number;
    const proxy = await cutProxy(web);
    const ann = await webUser(`http://127.0.0.1:${proxy.port}/`, "ann");
    const carol = await peer(server.json, "json", cleanups, { name: "carol" });
    await seen(ann, "carol:加入了聊天室");
    const fromCarol: string[] = [];
    const fromAnn: string[] = [];
    for (let round = 0; round < 3; round++) {
      // The WebSocket is reset (no close frame); both sides speak while it is gone.
      expect(proxy.cut()).toBeGreaterThan(0);
      for (let k = 0; k < 5; k++) {
        const line = `c-${round}-${k}`;
        fromCarol.push(line);
        carol.send({ type: 2, sequence: k + 1, from: "carol", to: "", content: line });
      }
      const line = `a-${round}`;
      fromAnn.push(line);
      await ann.say(line);
      await seen(ann, `carol:c-${round}-4`);
      await until(() => carol.inbox.some((m) => m.from === "ann" && m.content === line));
    }
    // A sentinel from each side: everything before it has arrived.
    carol.send({ type: 2, sequence: 9, from: "carol", to: "", content: "end" });
    await ann.say("end");
    await seen(ann, "carol:end");
    await until(() => carol.inbox.some((m) => m.from === "ann" && m.content === "end"));
    const annSaw = (await ann.lines()).filter((l) => l.startsWith("carol:c-"));
    expect(annSaw).toEqual(fromCarol.map((l) => `carol:${l}`));
    const carolSaw = carol.inbox.filter((m) => m.from === "ann" && m.content.startsWith("a-"));
    expect(carolSaw.map((m) => m.content)).toEqual(fromAnn);
    // Away, not gone: carol (who joined after ann) saw no leave and no join of ann's; the
    // page showed no lost session.
    const notices = carol.inbox.map((m) => `${m.from}:${m.content}`);
    expect(notices.filter((n) => n.includes("ann"))).toEqual(
      fromAnn.concat("end").map((l) => `ann:${l}`),
    );
    expect((await ann.lines()).filter((l) => l.startsWith("page:"))).toEqual([]);
    expect(ann.problems).toEqual([]);
  }, 90_000);
});
