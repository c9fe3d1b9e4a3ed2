import { describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";

const tiny = createTinyProtocol(1024);

describe("Connection disposal", () => {
  it("await using ends it gracefully: what was sent is delivered, then both sides close", async () => {
    const [a, b] = createSocketPair();
    const peer = new Connection(b, tiny);
    const got: string[] = [];
    peer.on("message", (m) => got.push(m));
    const peerClosed = new Promise((resolve) => peer.once("close", resolve));
    let conn: Connection<string> | undefined;
    {
      await using scoped = new Connection(a, tiny);
      conn = scoped;
      scoped.send("one");
      scoped.send("two");
    }
    expect(conn.state).toBe("closed");
    await peerClosed;
    expect(got).toEqual(["one", "two"]);
  });

  it("using closes it at once, without an error", async () => {
    const [a, b] = createSocketPair();
    const peer = new Connection(b, tiny);
    const peerClosed = new Promise((resolve) => peer.once("close", resolve));
    let closedWith: unknown = "not closed";
    let conn: Connection<string> | undefined;
    {
      using scoped = new Connection(a, tiny);
      conn = scoped;
      scoped.once("close", (error) => {
        closedWith = error;
      });
    }
    expect(conn.state).toBe("closed");
    expect(closedWith).toBeUndefined();
    await peerClosed;
    expect(peer.state).toBe("closed");
  });
});
