// Every page reachable from index.html, fetched and parsed by Chromium's own HTML
// parser (DOMParser: no script runs, nothing is rendered or fetched), and checked:
// every internal link, anchor and resource (image, script, stylesheet, SVG sprite)
// resolves.

/** Pages parsed per round trip to the browser. */
const BATCH = 40;

/** In the page: fetches and parses `urls`; what each holds. */
function parseInPage(urls) {
  return Promise.all(
    urls.map(async (url) => {
      const response = await fetch(url);
      if (!response.ok) return { url, status: response.status };
      const html = await response.text();
      const doc = new DOMParser().parseFromString(html, "text/html");
      const attr = (selector, name) =>
        [...doc.querySelectorAll(selector)].map((e) => e.getAttribute(name));
      return {
        url,
        status: response.status,
        bytes: html.length,
        links: attr("a[href]", "href"),
        resources: [
          ...attr("img[src]", "src"),
          ...attr("script[src]", "src"),
          ...attr("link[href]", "href"),
          ...[...doc.getElementsByTagName("use")].map((e) => e.getAttribute("href")),
        ],
        ids: [...doc.querySelectorAll("[id], a[name]")].map((e) => e.id || e.getAttribute("name")),
      };
    }),
  );
}

/**
 * A link's target, resolved against the page that holds it: `{ target, hash }`
 * for an internal one (`target` without its hash, a directory as its index.html),
 * `undefined` for an external one.
 */
export function resolveLink(href, from, base) {
  const link = new URL(href, from);
  if (!link.href.startsWith(base)) return undefined;
  const hash = decodeURIComponent(link.hash.slice(1));
  link.hash = "";
  const target = link.href.endsWith("/") ? `${link.href}index.html` : link.href;
  return { target, hash };
}

/**
 * Checks that every `#anchor` wanted exists on its page, and every file (not a
 * page) answers; returns the problems.
 */
export async function checkTargets(anchors, files, ids) {
  const problems = [];
  for (const file of files) {
    const r = await fetch(file);
    if (!r.ok) problems.push(`link to ${file}: HTTP ${r.status}`);
  }
  for (const [target, wanted] of anchors) {
    const have = ids.get(target);
    if (!have) continue; // not a page: a file, checked above
    for (const [hash, from] of wanted) {
      if (!have.has(hash)) problems.push(`${from}: link to ${target}#${hash}: no such anchor`);
    }
  }
  return problems;
}

/**
 * Parses every page reachable from `${base}index.html`.
 *
 * @returns `pages` (`{ url, bytes }`), `ids` (page URL -> its ids), `files` (the
 *   files, not pages, found and checked) and `problems`
 */
export async function parseSite(browser, base) {
  const page = await browser.newPage();
  await page.goto(`${base}index.html`); // fetches must be same-origin
  const problems = [];
  const pages = [];
  const ids = new Map();
  const anchors = new Map(); // page URL -> (anchor -> a page linking to it)
  const files = new Set(); // internal links and resources that are not pages
  const queue = [`${base}index.html`];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const found of await page.evaluate(parseInPage, queue.splice(0, BATCH))) {
      if (found.status !== 200) {
        problems.push(`${found.url}: HTTP ${found.status}`);
        continue;
      }
      pages.push({ url: found.url, bytes: found.bytes });
      ids.set(found.url, new Set(found.ids));
      for (const href of found.resources) {
        const resource = href && resolveLink(href, found.url, base);
        if (resource) files.add(resource.target);
      }
      for (const href of found.links) {
        const link = resolveLink(href, found.url, base);
        if (!link) continue;
        if (link.hash) {
          if (!anchors.has(link.target)) anchors.set(link.target, new Map());
          anchors.get(link.target).set(link.hash, found.url);
        }
        if (!link.target.endsWith(".html")) files.add(link.target);
        else if (!seen.has(link.target)) {
          seen.add(link.target);
          queue.push(link.target);
        }
      }
    }
  }
  await page.close();
  problems.push(...(await checkTargets(anchors, files, ids)));
  pages.sort((a, b) => (a.url < b.url ? -1 : 1));
  return { pages, ids, files, problems };
}
