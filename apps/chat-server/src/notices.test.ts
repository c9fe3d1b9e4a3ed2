import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChatMessage } from "./chat";
import { MAX_LISTED, MAX_SEPARATE, Notices } from "./notices";

afterEach(() => {
  vi.useRealTimers();
});

const join = (from: string): ChatMessage => ({
  type: 1,
  sequence: 1,
  from,
  to: "",
  content: "joined",
});

describe("notices", () => {
  it("sends the first at once, then one per interval listing the rest, bounded", () => {
    vi.useFakeTimers();
    const sent: ChatMessage[] = [];
    let sequence = 100;
    const notices = new Notices(
      1000,
      (n) => sent.push(n),
      () => ++sequence,
    );
    notices.add(join("alice"));
    expect(sent).toEqual([join("alice")]);
    for (let i = 0; i < 1500; i++) notices.add(join(`u${i}`));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
    const batch = sent[1] as ChatMessage;
    expect(batch).toMatchObject({ type: 1, from: "server", sequence: 101 });
    expect(batch.content.split("; ")).toHaveLength(MAX_LISTED);
    expect(batch.content).toContain("u0: joined");
    expect(batch.content).toContain(`(and ${1500 - MAX_LISTED} more)`);
    // Quiet for an interval: the next one goes at once again.
    vi.advanceTimersByTime(1000);
    notices.add(join("bob"));
    expect(sent).toHaveLength(3);
    notices.close();
  });

  it("sends a few pending notices as they were, and every event at once with interval 0", () => {
    vi.useFakeTimers();
    const sent: ChatMessage[] = [];
    const notices = new Notices(
      500,
      (n) => sent.push(n),
      () => 1,
    );
    notices.add(join("a"));
    notices.add({ ...join("server"), content: "a disconnected" });
    vi.advanceTimersByTime(500);
    expect(sent.map((n) => n.content)).toEqual(["joined", "a disconnected"]);
    const eager: ChatMessage[] = [];
    const none = new Notices(
      0,
      (n) => eager.push(n),
      () => 1,
    );
    for (let i = 0; i < 5; i++) none.add(join(`x${i}`));
    expect(eager).toHaveLength(5);
    expect(MAX_SEPARATE).toBe(3);
  });

  it("clips what a peer wrote, so a notice stays small", () => {
    vi.useFakeTimers();
    const sent: ChatMessage[] = [];
    const notices = new Notices(
      1000,
      (n) => sent.push(n),
      () => 1,
    );
    notices.add(join("first"));
    for (let i = 0; i < 30; i++) notices.add({ ...join(`p${i}`), content: "x".repeat(60_000) });
    vi.advanceTimersByTime(1000);
    expect((sent[1] as ChatMessage).content.length).toBeLessThan(MAX_LISTED * 220 + 100);
  });
});
