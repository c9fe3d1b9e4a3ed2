import type { TaurusError } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { type Admission, identityOf } from "./admission";
import type { ServerHandler } from "./handler";
import { connectRaw, msg, startServer, until } from "./test-helpers";

const text = (m: BinaryMessage) => Buffer.from(m.data).toString();

/** An application whose first message must be `token:<secret>`; it echoes what it handles. */
function tokenApp(admit: ServerHandler<BinaryMessage>["admit"]) {
  const handled: Array<{ who: unknown; text: string }> = [];
  const errors: TaurusError[] = [];
  const handler: ServerHandler<BinaryMessage> = {
    admit,
    onMessage(m, conn) {
      handled.push({ who: identityOf(conn), text: text(m) });
      conn.send(msg(m.sequence, `echo ${text(m)}`));
    },
    farewell: (error) => msg(0, `bye: ${error.code} ${error.message}`, 9),
    onError: (error) => errors.push(error),
  };
  return { handler, handled, errors };
}

const TOKENS: Record<string, string> = { s3cret: "alice", hunter2: "bob" };
const byToken = (first: BinaryMessage): Admission => {
  const user = TOKENS[text(first).replace(/^token:/, "")];
  return user ? { accept: true, identity: { user } } : { accept: false, reason: "bad token" };
};

async function client(port: number, address: string) {
  const conn = await connectRaw(port, address);
  const inbox: string[] = [];
  conn.on("message", (m) => inbox.push(text(m)));
  let closed = false;
  conn.on("close", () => {
    closed = true;
  });
  return { conn, inbox, closed: () => closed };
}

describe("admit", () => {
  it("admits with a token in the first message, attaches the identity, refuses an attacker with the reason", async () => {
    const app = tokenApp(byToken);
    const { port } = await startServer({ handler: app.handler, perAddress: { trusted: [] } });
    const attacker = await client(port, "127.0.0.2");
    const user = await client(port, "127.0.0.3");
    attacker.conn.send(msg(1, "token:guess"));
    attacker.conn.send(msg(2, "let me in anyway"));
    user.conn.send(msg(1, "token:s3cret"));
    user.conn.send(msg(2, "hello"));
    await until(() => user.inbox.includes("echo hello") && attacker.closed());
    // The credentials are not a message; what follows is handled as alice.
    expect(app.handled).toEqual([{ who: { user: "alice" }, text: "hello" }]);
    expect(user.inbox).toEqual(["echo hello"]);
    expect(attacker.inbox).toEqual(["bye: ADMISSION_REFUSED bad token"]);
    expect(app.errors.map((e) => e.code)).toEqual(["ADMISSION_REFUSED"]);
  });

  it("waits for an async decision, reading nothing more meanwhile, and can deliver the first message", async () => {
    let decide: ((a: Admission) => void) | undefined;
    // carol waits for a decision; a second user, admitted at once, is the sentinel.
    const app = tokenApp((first) =>
      text(first) === "token:s3cret"
        ? byToken(first)
        : new Promise<Admission>((resolve) => {
            decide = resolve;
          }),
    );
    const { server, port } = await startServer({ handler: app.handler });
    const user = await client(port, "127.0.0.3");
    user.conn.send(msg(1, "first"));
    user.conn.send(msg(2, "second"));
    user.conn.send(msg(3, "third"));
    await until(() => decide !== undefined && server.connectionCount === 1);
    const sentinel = await client(port, "127.0.0.4");
    sentinel.conn.send(msg(1, "token:s3cret"));
    sentinel.conn.send(msg(2, "ping"));
    await until(() => sentinel.inbox.includes("echo ping"), { what: "the sentinel's echo" });
    // carol's three messages arrived before the sentinel even connected: none was handled.
    expect(app.handled).toEqual([{ who: { user: "alice" }, text: "ping" }]);
    expect(user.inbox).toEqual([]);
    decide?.({ accept: true, identity: "carol", deliver: true });
    await until(() => user.inbox.length === 3);
    expect(app.handled.filter((h) => h.who === "carol")).toEqual([
      { who: "carol", text: "first" },
      { who: "carol", text: "second" },
      { who: "carol", text: "third" },
    ]);
    expect(app.handled).toHaveLength(4);
  });

  it("closes a connection not admitted within handshakeTimeout, and one whose admit throws", async () => {
    const app = tokenApp((first) => {
      if (text(first) === "throw") throw new Error("database down");
      return new Promise<Admission>(() => {}); // never decides
    });
    const { port } = await startServer({ handler: app.handler, handshakeTimeout: 200 });
    const slow = await client(port, "127.0.0.2");
    const broken = await client(port, "127.0.0.4");
    slow.conn.send(msg(1, "token:whatever"));
    broken.conn.send(msg(1, "throw"));
    await until(() => slow.closed() && broken.closed());
    expect(slow.inbox).toEqual([
      "bye: HANDSHAKE_TIMEOUT not admitted within 200 ms (handshakeTimeout)",
    ]);
    expect(broken.inbox).toEqual(["bye: ADMISSION_REFUSED admission failed"]);
    expect(app.errors.map((e) => e.code).sort()).toEqual([
      "ADMISSION_REFUSED",
      "HANDLER_FAILED",
      "HANDSHAKE_TIMEOUT",
    ]);
    expect(app.handled).toEqual([]);
  });
});
