import type { Worker } from "node:cluster";
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { IpcDirectory, NameBook } from "./ipc-directory";

/** A worker's IPC channel and the primary's handle of it, joined in memory. */
function link(book: NameBook) {
  const child = new EventEmitter() as EventEmitter & { connected: boolean; send: unknown };
  const worker = new EventEmitter() as EventEmitter & {
    send: unknown;
    isConnected(): boolean;
  };
  child.connected = true;
  child.send = (m: unknown, _h: unknown, _o: unknown, done?: () => void) => {
    setImmediate(() => worker.emit("message", m));
    done?.();
    return true;
  };
  worker.send = (m: unknown) => {
    setImmediate(() => child.emit("message", m));
    return true;
  };
  worker.isConnected = () => child.connected;
  book.add(worker as unknown as Worker);
  const directory = new IpcDirectory(child as unknown as NodeJS.Process);
  const kicked: string[] = [];
  directory.onKick((name) => kicked.push(name));
  return { directory, worker, child, kicked };
}

describe("names through the primary", () => {
  it("holds a name once across workers, case-insensitively; a token takes it back and kicks the holder", async () => {
    const book = new NameBook();
    const one = link(book);
    const two = link(book);
    expect(await one.directory.claim("Alice", "t1")).toBe("claimed");
    expect(await two.directory.claim("alice", "t2")).toBe("taken");
    expect(await two.directory.claim("ALICE", "t2", "wrong")).toBe("taken");
    expect(await two.directory.has("aLiCe")).toBe(true);
    expect(await two.directory.has("bob")).toBe(false);
    expect(await two.directory.claim("alice", "t2", "t1")).toBe("reclaimed");
    await new Promise((r) => setImmediate(r));
    expect(one.kicked).toEqual(["alice"]);
    expect(two.kicked).toEqual([]);
    // The old holder's release no longer frees it; the new holder's does.
    one.directory.release("alice", "t1");
    await new Promise((r) => setImmediate(r));
    expect(await one.directory.has("alice")).toBe(true);
    two.directory.release("alice", "t2");
    await new Promise((r) => setImmediate(r));
    expect(await one.directory.has("alice")).toBe(false);
    expect(book.size).toBe(0);
  });

  it("frees a worker's names when it exits, and answers alone when the primary is gone", async () => {
    const book = new NameBook();
    const one = link(book);
    const two = link(book);
    expect(await one.directory.claim("carol", "t")).toBe("claimed");
    one.worker.emit("exit");
    expect(await two.directory.claim("carol", "u")).toBe("claimed");
    // No primary: a claim is not refused (the worker's own Names still hold the name once).
    two.child.connected = false;
    expect(await two.directory.claim("dave", "v")).toBe("claimed");
    expect(await two.directory.has("carol")).toBe(false);
    await one.directory.close();
    await two.directory.close();
  });
});
