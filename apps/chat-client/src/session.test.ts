// Issue 13 item 8: a chat user whose connection drops for a few seconds misses nothing and
// sees nothing twice; the others see no leave or join for it.
import { describe, expect, it } from "vitest";
import { ChatClient, startCutProxy, startServer } from "./test-procs";

const count = (text: string, part: string): number => text.split(part).length - 1;

describe("chat sessions", () => {
  it("a user whose connection drops misses nothing, sees nothing twice, and nobody sees it leave", async () => {
    const server = await startServer({ json: 0, binary: 0, metrics: 0 });
    const proxy = await startCutProxy(server.ports.json);
    const alice = new ChatClient([`127.0.0.1:${proxy.port}`, "alice"]);
    await alice.waitFor("*** alice joined ***");
    const bob = new ChatClient([`127.0.0.1:${server.ports.binary}`, "bob", "--protocol", "binary"]);
    await bob.waitFor("*** bob joined ***");
    await alice.waitFor("*** bob joined ***");

    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      expect(proxy.cut()).toBe(1);
      // Said while alice is away, and typed by alice while she is away.
      for (let i = 0; i < 5; i++) bob.type(`line ${round}.${i}`);
      alice.type(`reply ${round}`);
      await alice.waitFor("*** back on", round + 1);
    }
    // Sentinels behind everything else, both ways.
    bob.type("bob is done");
    alice.type("alice is done");
    await alice.waitFor("[bob] bob is done");
    await bob.waitFor("[alice] alice is done");

    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < 5; i++) expect(count(alice.output, `[bob] line ${round}.${i}\n`)).toBe(1);
      expect(count(bob.output, `[alice] reply ${round}\n`)).toBe(1);
    }
    // One join (the first), no session lost, and bob never hears alice leave or come back.
    expect(count(alice.output, "*** connected to")).toBe(1);
    expect(alice.output).not.toContain("lost our session");
    expect(bob.output).not.toMatch(/alice (joined|left|disconnected)/);
  }, 60_000);
});
