// The built site in headless Chromium (Debian's chromium, driven by playwright-core):
// every page loads without a console error, every internal link resolves (pages,
// files and #anchors), and search finds createServer.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SITE, serveSite } from "../scripts/serve.mjs";

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let server;
let browser;
let base;

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`,
    );
  }
  if (!existsSync(`${SITE}/index.html`)) throw new Error("no site: run pnpm run docs first");
  server = await serveSite(SITE);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-sync",
      "--no-first-run",
      "--mute-audio",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
});

/** Pages loaded at once while crawling. */
const TABS = 4;

/** Visits every page reachable from index.html, in a few tabs; returns the problems found. */
async function crawl() {
  const context = await browser.newContext();
  const problems = [];
  const queue = [`${base}index.html`];
  const seen = new Set(queue);
  const anchors = new Map(); // page URL -> (anchor -> the page linking to it)
  const files = new Set(); // internal links to files that are not pages
  const ids = new Map(); // page URL -> ids on it
  let busy = 0;

  const visit = async (page, state, url) => {
    state.current = url;
    const response = await page.goto(url, { waitUntil: "load" });
    if (!response?.ok()) {
      problems.push(`${url}: HTTP ${response?.status()}`);
      return;
    }
    const found = await page.evaluate(() => ({
      links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
      ids: [...document.querySelectorAll("[id], a[name]")].map(
        (e) => e.id || e.getAttribute("name"),
      ),
    }));
    ids.set(url, new Set(found.ids));
    for (const href of found.links) {
      if (!href.startsWith(base)) continue;
      const link = new URL(href);
      const hash = decodeURIComponent(link.hash.slice(1));
      link.hash = "";
      const target = link.href.endsWith("/") ? `${link.href}index.html` : link.href;
      if (hash) {
        if (!anchors.has(target)) anchors.set(target, new Map());
        anchors.get(target).set(hash, url);
      }
      if (!target.endsWith(".html")) files.add(target);
      else if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  };

  const tab = async () => {
    const page = await context.newPage();
    const state = { current: "" };
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`${state.current}: console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`${state.current}: page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      // Moving on to the next page aborts what the last one still loads (its favicon).
      if (!r.failure()?.errorText.includes("ERR_ABORTED"))
        problems.push(`${state.current}: request failed: ${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on("response", (r) => {
      if (r.url().startsWith(base) && r.status() >= 400)
        problems.push(`${state.current}: ${r.status()} for ${r.url()}`);
    });
    for (;;) {
      const url = queue.shift();
      if (url === undefined) {
        if (busy === 0) break;
        await new Promise((r) => setTimeout(r, 20)); // another tab may still find pages
        continue;
      }
      busy++;
      try {
        await visit(page, state, url);
      } finally {
        busy--;
      }
    }
  };
  await Promise.all(Array.from({ length: TABS }, tab));

  for (const file of files) {
    const r = await fetch(file);
    if (!r.ok) problems.push(`link to ${file}: HTTP ${r.status}`);
  }
  for (const [target, wanted] of anchors) {
    const have = ids.get(target);
    if (!have) continue; // a file, checked above
    for (const [hash, from] of wanted) {
      if (!have.has(hash)) problems.push(`${from}: link to ${target}#${hash}: no such anchor`);
    }
  }
  await context.close();
  return { pages: seen.size, problems };
}

describe("the documentation site in Chromium", () => {
  it("loads every page without console errors, and every internal link resolves", async () => {
    const { pages, problems } = await crawl();
    expect(problems).toEqual([]);
    expect(pages).toBeGreaterThan(50);
  }, 240_000);

  it("finds createServer with its search, and shows the guides with their charts", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}index.html`);
    await page.click("#tsd-search-trigger");
    await page.fill("#tsd-search-input", "createServer");
    const first = page.locator("#tsd-search-results li").first();
    await first.waitFor({ timeout: 20_000 });
    expect(await page.locator("#tsd-search-results").textContent()).toContain("createServer");
    await page.locator("#tsd-search-results a", { hasText: "createServer" }).first().click();
    await page.waitForURL(/createServer\.html/);

    for (const guide of ["Getting_started", "The_chat", "Guides", "Benchmarks"]) {
      const r = await page.goto(`${base}documents/${guide}.html`);
      expect(r?.ok()).toBe(true);
    }
    // The benchmark charts are drawn (SVG images that loaded).
    const charts = await page.$$eval("img[src$='.svg']", (imgs) =>
      imgs.map((i) => ({ src: i.getAttribute("src"), width: i.naturalWidth })),
    );
    expect(charts.length).toBeGreaterThanOrEqual(3);
    for (const c of charts) expect(c.width, c.src).toBeGreaterThan(0);
    await page.close();
  }, 60_000);
});
