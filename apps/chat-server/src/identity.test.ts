import { describe, expect, it } from "vitest";
import { MAX_NAME_LENGTH, Names, nameProblem } from "./identity";

describe("nameProblem", () => {
  it("accepts ordinary names in any script", () => {
    for (const name of ["alice", "Bob_2", "李雷", "o'brien", "x".repeat(MAX_NAME_LENGTH)]) {
      expect(nameProblem(name)).toBeUndefined();
    }
  });

  it("refuses empty, long, spaced, control, reserved and prefixed names", () => {
    expect(nameProblem("")).toMatch(/required/);
    expect(nameProblem("x".repeat(MAX_NAME_LENGTH + 1))).toMatch(/at most 32/);
    expect(nameProblem("a b")).toMatch(/spaces/);
    expect(nameProblem("a\u00a0b")).toMatch(/spaces/);
    expect(nameProblem("a\nb")).toMatch(/control/);
    expect(nameProblem("a\u202eb")).toMatch(/control/);
    expect(nameProblem("Server")).toMatch(/server/);
    for (const name of ["#room", "/join", "@alice"]) expect(nameProblem(name)).toMatch(/start/);
  });
});

describe("Names", () => {
  it("binds a name once, case-insensitively, and frees it only for its holder", () => {
    const names = new Names<string>();
    const alice = names.claim("Alice", "conn1");
    expect(alice).toMatchObject({ name: "Alice", peer: "conn1" });
    expect(names.claim("alice", "conn2")).toBeUndefined();
    expect(names.claim("ALICE", "conn2")).toBeUndefined();
    expect(names.get("aLiCe")?.peer).toBe("conn1");
    expect(names.list()).toEqual(["Alice"]);
    const bob = names.claim("bob", "conn3");
    expect(bob).toBeDefined();
    expect(names.release(alice!)).toBe(true);
    expect(names.release(alice!)).toBe(false);
    expect(names.claim("alice", "conn2")?.peer).toBe("conn2");
    expect(names.size).toBe(2);
  });

  it("gives a name back with its token only, and the replaced holder cannot free it", () => {
    const names = new Names<string>();
    const first = names.claim("alice", "old")!;
    expect(first.token).toMatch(/^[\w-]{24}$/);
    expect(names.reclaim("alice", "wrong-token-of-same-size!", "thief")).toBeUndefined();
    expect(names.reclaim("alice", "", "thief")).toBeUndefined();
    expect(names.reclaim("nobody", first.token, "thief")).toBeUndefined();
    const back = names.reclaim("ALICE", first.token, "new")!;
    expect(back.replaced).toBe(first);
    expect(back.holder).toMatchObject({ name: "alice", peer: "new" });
    expect(back.holder.token).not.toBe(first.token);
    // The old connection closing later does not free the name of the new one.
    expect(names.release(first)).toBe(false);
    expect(names.get("alice")?.peer).toBe("new");
    // The old token is spent.
    expect(names.reclaim("alice", first.token, "again")).toBeUndefined();
  });
});
