import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "../connection";
import { createControlLineProtocol } from "../fixtures/lines";
import { createSocketPair } from "../testing/socket-pair";
import { until } from "../testing/wait";
import { CONTROL_KIND, type ControlFrame } from "./control";

const open: Connection<string>[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.destroy();
});

function pair(): [Connection<string>, Connection<string>] {
  const [a, b] = createSocketPair();
  const p = createControlLineProtocol();
  const conns: [Connection<string>, Connection<string>] = [
    new Connection(a, p),
    new Connection(b, p),
  ];
  open.push(...conns);
  return conns;
}

describe("Connection session hooks", () => {
  it("answers a hello with refuse when no session is attached, and never delivers control frames", async () => {
    const [client, server] = pair();
    const got: string[] = [];
    const delivered: string[] = [];
    server.on("message", (m) => delivered.push(m));
    client.on("message", (m) => got.push(m));
    const controls: ControlFrame[] = [];
    client.attachSession({
      sent: () => undefined,
      sendAfterClose: () => false,
      control: (f) => void controls.push(f),
    });
    client.sendControl(`!${CONTROL_KIND.hello} {"v":1}`);
    client.send("data");
    await until(() => controls.length === 1 && delivered.length === 1);
    expect(controls[0]).toEqual({ kind: CONTROL_KIND.refuse, payload: { reason: "unsupported" } });
    expect(delivered).toEqual(["data"]);
    expect(got).toEqual([]);
  });

  it("shows the session every data frame sent and lets it take sends after the close", () => {
    const [client] = pair();
    const sent: number[] = [];
    const taken: string[] = [];
    client.attachSession({
      sent: (frame) => void sent.push(frame.length),
      sendAfterClose: (m) => m === "keep" && taken.push(m) > 0,
      control: () => undefined,
    });
    client.send("abc");
    client.sendEncoded(Buffer.from("de\n"));
    expect(client.sendControl("!5 {}")).toBe(true);
    expect(sent).toEqual([4, 3]);
    client.destroy();
    expect(client.send("keep")).toBe(true);
    expect(taken).toEqual(["keep"]);
    expect(() => client.send("other")).toThrow(/closed/);
    expect(client.sendControl("!5 {}")).toBe(false);
  });
});
