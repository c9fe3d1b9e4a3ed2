// The built site in headless Chromium (Debian's chromium, driven by playwright-core).
// Every page reachable from index.html is parsed by Chromium's own HTML parser
// (DOMParser: no scripts, no rendering), so every internal link, anchor, image,
// script and stylesheet of every page is checked to resolve. Pages are then
// loaded for real (scripts run, the navigation is built, resources fetched) with no
// console error allowed: every guide and a sample of each kind of reference page
// here, every page in `pnpm test:stress` (DOCS_FULL_CRAWL=1), which takes minutes:
// reference pages of one kind share their template and scripts. Search finds
// createServer.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SITE, serveSite } from "../scripts/serve.mjs";
import { loadPages } from "./load-pages.mjs";
import { parseSite } from "./parse-site.mjs";

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FULL = process.env.DOCS_FULL_CRAWL === "1";
/** Every page loaded takes minutes on 2 cores (397 pages: 130 s alone); the default run, seconds. */
const FULL_TIMEOUT = FULL ? 600_000 : 120_000;
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

/**
 * The pages loaded for real in the default run: the entry pages, every guide
 * (documents/), and per kind of reference page (classes/, interfaces/, ...) the
 * first, the last and the largest.
 */
function sample(pages) {
  const chosen = new Set([`${base}index.html`, `${base}modules.html`, `${base}hierarchy.html`]);
  const byKind = new Map();
  for (const page of pages) {
    const kind = page.url.slice(base.length).split("/").slice(0, -1).join("/");
    if (kind === "documents") chosen.add(page.url);
    else if (kind !== "") byKind.set(kind, [...(byKind.get(kind) ?? []), page]);
  }
  for (const group of byKind.values()) {
    const largest = group.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    for (const page of [group[0], group.at(-1), largest]) chosen.add(page.url);
  }
  return [...chosen].filter((url) => pages.some((p) => p.url === url));
}

describe("the documentation site in Chromium", () => {
  it(
    "every internal link, anchor and resource of every page resolves; pages load without console errors",
    async () => {
      const site = await parseSite(browser, base);
      expect(site.problems).toEqual([]);
      expect(site.pages.length).toBeGreaterThan(50);
      const urls = FULL ? site.pages.map((p) => p.url) : sample(site.pages);
      // Links the scripts add (the navigation) are checked as the static ones are.
      const loaded = await loadPages(browser, base, urls, site);
      expect(loaded.problems).toEqual([]);
      expect(loaded.pages).toBe(urls.length);
      if (!FULL) expect(urls.length).toBeGreaterThan(10);
    },
    FULL_TIMEOUT,
  );

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
