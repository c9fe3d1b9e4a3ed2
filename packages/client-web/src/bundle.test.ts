// The browser bundle (client + both protocols, esbuild for platform browser) imports no Node
// built-in and stays small.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { bundleForBrowser, ENTRY } from "../scripts/bundle.mjs";

describe("browser bundle", () => {
  it("imports no Node built-in, and is under 12 KiB gzipped", async () => {
    const { nodeImports, gzipped, code } = (await bundleForBrowser(
      ENTRY,
      fileURLToPath(new URL("..", import.meta.url)),
    )) as { nodeImports: string[]; gzipped: number; code: string };
    expect(nodeImports).toEqual([]);
    expect(code).not.toMatch(/\bBuffer\.(alloc|from|byteLength)/);
    expect(gzipped).toBeLessThan(12 * 1024);
  }, 30_000);
});
