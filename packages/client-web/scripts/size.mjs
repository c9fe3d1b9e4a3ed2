// Prints the minified and gzipped size of @taurus/client-web with both protocols.
import { fileURLToPath } from "node:url";
import { bundleForBrowser, ENTRY } from "./bundle.mjs";

const { bytes, gzipped, nodeImports } = await bundleForBrowser(
  ENTRY,
  fileURLToPath(new URL("..", import.meta.url)),
);
console.log(
  `client-web + protocol-json + protocol-binary: ${bytes} B minified, ${gzipped} B gzipped; Node built-ins: ${nodeImports.length ? nodeImports.join(", ") : "none"}`,
);
