// The client's half of a session, shared by the Node and the browser client: driven
// directly, links are plain objects and the host records what the session asks of it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createControlLineProtocol } from "../fixtures/lines";
import { ClientSessionCore, type ClientSessionHost } from "./client-half";
import { CONTROL_KIND, type ControlPayload } from "./control";
import type { SessionLostInfo } from "./events";

interface Link {
  name: string;
}

const protocol = createControlLineProtocol();
const settings = {
  helloTimeout: 100,
  maxBufferedMessages: 16,
  maxBufferedBytes: 1024,
  ackEvery: 2,
  ackInterval: 50,
};

/** A session whose host records every call; `writable` decides what `write` returns. */
function session() {
  const calls = {
    written: [] as Array<[string, string]>,
    granted: [] as Array<{ link: string; id: string; resend: string[]; replayed: number }>,
    unavailable: [] as Array<[string, string]>,
    lost: [] as Array<[SessionLostInfo, number[]]>,
    retried: [] as string[],
    violated: [] as string[],
    writable: true,
  };
  const text = (frame: Uint8Array) => new TextDecoder().decode(frame).trimEnd();
  const host: ClientSessionHost<string, Link> = {
    write: (link, message) => {
      if (calls.writable) calls.written.push([link.name, message]);
      return calls.writable;
    },
    violated: (link) => void calls.violated.push(link.name),
    retry: (link) => void calls.retried.push(link.name),
    granted: (link, id, _resumed, resend, replayed) =>
      void calls.granted.push({ link: link.name, id, resend: resend.map(text), replayed }),
    unavailable: (link, reason) => void calls.unavailable.push([link.name, reason]),
    lost: (info, dropped) => void calls.lost.push([info, dropped]),
  };
  return { core: new ClientSessionCore<string, Link>(settings, protocol, host), calls };
}

const frame = (text: string) => new TextEncoder().encode(`${text}\n`);
const control = (kind: number, payload: ControlPayload) => ({ kind, payload });
const hello = (written: Array<[string, string]>, link: string) =>
  written.filter(([l, m]) => l === link && m.startsWith(`!${CONTROL_KIND.hello} `));

/** A new link `name`, its hello answered with a welcome to the new session `id`. */
function granted(core: ClientSessionCore<string, Link>, name: string, id: string): Link {
  const link = { name };
  core.start(link);
  core.receive(link, control(CONTROL_KIND.welcome, { id, received: 0 }));
  return link;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ClientSessionCore", () => {
  it("a session lost on its live link gives up what was written there (at most once) and reports its requests", () => {
    const { core, calls } = session();
    const first = granted(core, "first", "s1");
    core.accepted(frame("a"), 7);
    core.accepted(frame("b"));
    // The server ends the session while the link is up (its buffer overflowed).
    core.receive(first, control(CONTROL_KIND.lost, { id: "s1", reason: "overflow" }));
    expect(calls.lost).toEqual([
      [{ id: "s1", reason: "overflow", unacknowledged: 2, received: 0 }, [7]],
    ]);
    core.closed(first);
    const second = { name: "second" };
    core.start(second);
    expect(hello(calls.written, "second")[0]?.[1]).toContain('"fresh":true');
    core.receive(second, control(CONTROL_KIND.welcome, { id: "s2", received: 0 }));
    // Nothing of the lost session is sent again: it may have been processed.
    expect(calls.granted.at(-1)).toEqual({ link: "second", id: "s2", resend: [], replayed: 0 });
  });

  it("frames accepted after the link closed never left: they open the next session, flagged if requests", () => {
    const { core, calls } = session();
    const first = granted(core, "first", "s1");
    core.accepted(frame("a"));
    core.closed(first);
    core.accepted(frame("b"), 9);
    const second = { name: "second" };
    core.start(second);
    expect(hello(calls.written, "second")[0]?.[1]).toContain('"id":"s1"');
    // The server forgot s1 (restarted), and starts a new session on the same link.
    core.receive(second, control(CONTROL_KIND.lost, { id: "s1", reason: "unknown" }));
    expect(calls.lost).toEqual([
      [{ id: "s1", reason: "unknown", unacknowledged: 1, received: 0 }, []],
    ]);
    core.receive(second, control(CONTROL_KIND.welcome, { id: "s2", received: 0 }));
    expect(calls.granted.at(-1)).toEqual({
      link: "second",
      id: "s2",
      resend: [`!${CONTROL_KIND.request} {}`, "b"],
      replayed: 1,
    });
  });

  it("asks a held session's unanswered hello again on two new links, then takes the server as silent", () => {
    vi.useFakeTimers();
    const { core, calls } = session();
    const first = granted(core, "first", "s1");
    core.accepted(frame("a"));
    core.closed(first);
    for (const name of ["second", "third"]) {
      const link = { name };
      core.start(link);
      vi.advanceTimersByTime(settings.helloTimeout);
      expect(calls.retried.at(-1)).toBe(name);
      core.closed(link);
    }
    expect(calls.lost).toEqual([]);
    const fourth = { name: "fourth" };
    core.start(fourth);
    vi.advanceTimersByTime(settings.helloTimeout);
    expect(calls.retried).toEqual(["second", "third"]);
    expect(calls.lost).toEqual([
      [{ id: "s1", reason: "unknown", unacknowledged: 1, received: 0 }, []],
    ]);
    expect(calls.unavailable).toEqual([["fourth", "silent"]]);
    expect(core.active).toBe(false);
    // Each of the four links said hello once, the last three for s1.
    expect(
      ["first", "second", "third", "fourth"].map((l) => hello(calls.written, l).length),
    ).toEqual([1, 1, 1, 1]);
  });

  it("a fresh session's unanswered hello goes silent at once, and the next link proposes a new id", () => {
    vi.useFakeTimers();
    const { core, calls } = session();
    const first = { name: "first" };
    core.start(first);
    vi.advanceTimersByTime(settings.helloTimeout);
    expect(calls.retried).toEqual([]);
    expect(calls.unavailable).toEqual([["first", "silent"]]);
    const second = { name: "second" };
    core.start(second);
    const id = (link: string) =>
      /"id":"([^"]+)"/.exec(hello(calls.written, link)[0]?.[1] ?? "")?.[1];
    expect(id("first")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(id("second")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(id("second")).not.toBe(id("first"));
  });

  it("acknowledges every ackEvery deliveries, and again later when the link could not take the ack", () => {
    vi.useFakeTimers();
    const { core, calls } = session();
    const link = { name: "link" };
    core.start(link);
    core.receive(link, control(CONTROL_KIND.welcome, { id: "s1", received: 0 }));
    const acks = () => calls.written.filter(([, m]) => m.startsWith(`!${CONTROL_KIND.ack} `));
    core.delivered();
    core.delivered(); // ackEvery (2): acknowledged at once
    expect(acks()).toEqual([["link", `!${CONTROL_KIND.ack} {"received":2}`]]);
    calls.writable = false;
    core.delivered();
    core.delivered(); // due, but the link takes nothing: not counted as acknowledged
    calls.writable = true;
    vi.advanceTimersByTime(settings.ackInterval); // the timer armed at the first delivery
    expect(acks()).toEqual([
      ["link", `!${CONTROL_KIND.ack} {"received":2}`],
      ["link", `!${CONTROL_KIND.ack} {"received":4}`],
    ]);
  });

  it("closes a link whose welcome or ack counts more than was sent", () => {
    const { core, calls } = session();
    const first = { name: "first" };
    core.start(first);
    core.receive(first, control(CONTROL_KIND.welcome, { id: "s1", received: 1 }));
    expect(calls.violated).toEqual(["first"]);
    expect(calls.granted).toEqual([]);
    const second = { name: "second" };
    core.start(second);
    core.receive(second, control(CONTROL_KIND.welcome, { id: "s1", received: 0 }));
    core.accepted(frame("a"));
    core.receive(second, control(CONTROL_KIND.ack, { received: 2 }));
    expect(calls.violated).toEqual(["first", "second"]);
  });
});
