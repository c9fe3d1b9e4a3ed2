import { describe, expect, it } from "vitest";
import { parseCliArgs, UsageError } from "./args";
import { format } from "./chat";
import { jsonCodec } from "./codec";
import { PresenceTracker } from "./presence";
import { printable } from "./sanitize";
import { languageOf, WORDS } from "./words";

describe("chat-client arguments", () => {
  it("reads host:port, username and protocol", () => {
    expect(parseCliArgs(["127.0.0.1:8080", "alice"])).toEqual({
      host: "127.0.0.1",
      port: 8080,
      username: "alice",
      protocol: "json",
    });
    expect(parseCliArgs(["localhost:8081", "bob"])).toMatchObject({ protocol: "binary" });
    expect(parseCliArgs(["[::1]:9000", "eve", "--protocol", "binary"])).toMatchObject({
      host: "::1",
      protocol: "binary",
    });
    expect(parseCliArgs(["--help"])).toBe("help");
  });

  it("refuses what it cannot use", () => {
    expect(() => parseCliArgs(["nohost", "x"])).toThrow(UsageError);
    expect(() => parseCliArgs(["h:99999", "x"])).toThrow(UsageError);
    expect(() => parseCliArgs(["h:1"])).toThrow(UsageError);
    expect(() => parseCliArgs(["h:1", "x", "--protocol", "xml"])).toThrow(UsageError);
    expect(() => parseCliArgs(["h:1", "x", "--loud"])).toThrow(UsageError);
  });
});

describe("chat-client display", () => {
  const base = { sequence: 1, to: "" };
  const show = (chat: Parameters<typeof format>[0], presence = new PresenceTracker()) =>
    format(chat, "alice", presence, WORDS.en);
  it("shows user messages as [from] content, system messages distinctly, and hides own lines and pongs", () => {
    expect(show({ ...base, type: 2, from: "bob", content: "hi" })).toBe("[bob] hi");
    expect(show({ ...base, type: 2, from: "alice", content: "hi" })).toBeUndefined();
    expect(show({ ...base, type: 1, from: "server", content: "restarting" })).toBe(
      "*** restarting ***",
    );
    expect(show({ ...base, type: 3, from: "server", content: "pong" })).toBeUndefined();
  });

  it("marks private messages, and shows the server's errors", () => {
    expect(show({ sequence: 1, type: 2, from: "bob", to: "alice", content: "psst" })).toBe(
      "[bob → you] psst",
    );
    expect(
      show({ sequence: 1, type: 2, from: "alice", to: "bob", content: "psst" }),
    ).toBeUndefined();
    expect(show({ sequence: 1, type: 2, from: "bob", to: "#dev", content: "ship it" })).toBe(
      "[#dev bob] ship it",
    );
    expect(show({ ...base, type: 1, from: "server", content: "error: no user named zed" })).toBe(
      "*** error: no user named zed ***",
    );
  });

  it("tells joins and leaves in the user's language, each leave once", () => {
    let now = 0;
    const presence = new PresenceTracker(() => now);
    const sys = (from: string, content: string) =>
      show({ ...base, type: 1, from, content }, presence);
    expect(sys("bob", "加入了聊天室")).toBe("*** bob joined ***");
    expect(sys("bob", "离开了聊天室")).toBe("*** bob left ***");
    expect(sys("server", "bob disconnected")).toBeUndefined(); // the same leave, told by the server
    // A client that crashed sends no leave: the server's notice is the one shown.
    expect(sys("server", "carol disconnected")).toBe("*** carol left ***");
    // bob comes back and leaves again later: shown again.
    now += 60_000;
    expect(sys("bob", "加入了聊天室")).toBe("*** bob joined ***");
    expect(sys("server", "bob disconnected")).toBe("*** bob left ***");
    expect(sys("bob", "离开了聊天室")).toBeUndefined();
    expect(
      format({ ...base, type: 1, from: "dan", content: "加入了聊天室" }, "x", presence, WORDS.zh),
    ).toBe("*** dan 加入了聊天室 ***");
  });

  it("speaks Chinese when the locale is zh, English otherwise", () => {
    expect(languageOf({ LANG: "zh_CN.UTF-8" })).toBe("zh");
    expect(languageOf({ LC_ALL: "zh_TW", LANG: "en_US" })).toBe("zh");
    expect(languageOf({ LANG: "en_US.UTF-8" })).toBe("en");
    expect(languageOf({})).toBe("en");
  });
});

describe("received messages", () => {
  it("serialise with JSON.stringify, the JSON timestamp as exact digits", () => {
    const bytes = jsonCodec.protocol.encode({
      type: 2,
      sequence: 7,
      data: { from: "bob", to: "", content: "hi" },
      timestamp: 1_700_000_000_123_456_789n,
    });
    const decoder = jsonCodec.protocol.createDecoder?.({ maxMessageSize: 1 << 20 });
    const decoded = decoder?.decode(Buffer.from(bytes), 0, bytes.length);
    if (!decoded) throw new Error("no decoder");
    if (decoded.kind !== "message") throw new Error("not decoded");
    const chat = jsonCodec.unwrap(decoded.message);
    expect(JSON.parse(JSON.stringify(chat))).toEqual({
      type: 2,
      sequence: 7,
      from: "bob",
      to: "",
      content: "hi",
      timestamp: "1700000000123456789",
    });
  });

  it("are printed without terminal controls", () => {
    expect(printable("[eve] \x1b[2J\x1b]0;owned\x07hi\r\n[bob] fake\u202e")).toBe(
      "[eve] hi  [bob] fake",
    );
  });
});
