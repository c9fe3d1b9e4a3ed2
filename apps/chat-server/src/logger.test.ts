import { describe, expect, it } from "vitest";
import { connectHint, connectHost } from "./hint";
import { createLogger, prettyLine } from "./logger";

describe("chat-server logs", () => {
  it("writes one JSON object per line by default, at the level and above", () => {
    const lines: string[] = [];
    const log = createLogger("info", (l) => lines.push(l));
    log.debug("hidden");
    log.info("listening", { json: 8080 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: "info",
      msg: "listening",
      json: 8080,
    });
  });

  it("writes one readable line per entry in the pretty format, the hint on a line of its own", () => {
    const lines: string[] = [];
    createLogger("debug", (l) => lines.push(l), "pretty").warn("connection error", {
      code: "IDLE_TIMEOUT",
      error: "idle for 30 s",
      conn: undefined,
      hint: "try this",
    });
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}connection error code=IDLE_TIMEOUT error="idle for 30 s"\n {2}try this\n$/,
    );
    expect(prettyLine(new Date(0), "info", "m", { n: 1, ok: true, o: { a: 1 } })).toMatch(
      / INFO {2}m n=1 ok=true o=\{"a":1\}\n$/,
    );
  });

  it("hints how to connect, on loopback for a wildcard address", () => {
    expect(connectHost("0.0.0.0")).toBe("127.0.0.1");
    expect(connectHost("::")).toBe("[::1]");
    expect(connectHost("10.0.0.2")).toBe("10.0.0.2");
    expect(connectHint("0.0.0.0", { json: 8080, binary: 8081, metrics: 9090 }, "chat-client")).toBe(
      "chat: chat-client 127.0.0.1:8080 <name>  (JSON; 127.0.0.1:8081 for binary)  metrics: http://127.0.0.1:9090/metrics  stop: Ctrl+C",
    );
  });
});
