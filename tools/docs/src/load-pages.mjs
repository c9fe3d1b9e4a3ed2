// Pages of the site loaded for real in Chromium, a few tabs at once: scripts run
// (the navigation is built), every resource is fetched, and any console error,
// page error, failed request or HTTP error is a problem. The links the scripts add
// are checked against the pages parsed before (see parse-site.mjs).
import { checkTargets, resolveLink } from "./parse-site.mjs";

/** Pages loaded at once. */
const TABS = 4;

/**
 * Loads `urls`; `site` is what parsing found: `ids` (each page's ids) and `files`
 * (already checked, not fetched again).
 *
 * @returns the number of pages loaded and the problems found
 */
export async function loadPages(browser, base, urls, { ids, files: checked }) {
  const context = await browser.newContext();
  const problems = [];
  const queue = [...urls];
  const anchors = new Map();
  const files = new Set();
  let loaded = 0;

  const visit = async (page, state, url) => {
    state.current = url;
    const response = await page.goto(url, { waitUntil: "load" });
    if (!response?.ok()) {
      problems.push(`${url}: HTTP ${response?.status()}`);
      return;
    }
    loaded++;
    const links = await page.evaluate(() =>
      [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
    );
    for (const href of links) {
      const link = resolveLink(href, url, base);
      if (!link) continue;
      if (link.target.endsWith(".html") && !ids.has(link.target)) {
        problems.push(`${url}: link to ${link.target}: not a page of the site`);
      } else if (!link.target.endsWith(".html") && !checked.has(link.target)) {
        files.add(link.target);
      }
      if (link.hash) {
        if (!anchors.has(link.target)) anchors.set(link.target, new Map());
        anchors.get(link.target).set(link.hash, url);
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
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      await visit(page, state, url);
    }
  };
  await Promise.all(Array.from({ length: Math.min(TABS, urls.length) }, tab));
  await context.close();
  problems.push(...(await checkTargets(anchors, files, ids)));
  return { pages: loaded, problems };
}
