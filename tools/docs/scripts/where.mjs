// Printed after `pnpm run docs`: where the site is, and how to serve it.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SITE } from "./serve.mjs";

console.log(`\nThe documentation site is built: ${pathToFileURL(join(SITE, "index.html")).href}`);
console.log(
  "Open it in a browser, or serve it: pnpm --filter @taurus/tools-docs serve (http://127.0.0.1:8000/)",
);
