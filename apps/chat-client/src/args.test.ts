import { describe, expect, it } from "vitest";
import { parseCliArgs, UsageError } from "./args";
import { format } from "./chat";

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
  it("shows user messages as [from] content, system messages distinctly, and hides own lines and pongs", () => {
    expect(format({ ...base, type: 2, from: "bob", content: "hi" }, "alice")).toBe("[bob] hi");
    expect(format({ ...base, type: 2, from: "alice", content: "hi" }, "alice")).toBeUndefined();
    expect(format({ ...base, type: 1, from: "bob", content: "加入了聊天室" }, "alice")).toBe(
      "*** bob 加入了聊天室 ***",
    );
    expect(format({ ...base, type: 1, from: "server", content: "bob disconnected" }, "alice")).toBe(
      "*** bob disconnected ***",
    );
    expect(format({ ...base, type: 3, from: "server", content: "pong" }, "alice")).toBeUndefined();
  });
});
