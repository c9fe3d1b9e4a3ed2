// Names across cluster workers: the primary keeps the book (which worker holds which name,
// with which token); workers ask it over IPC. A worker that dies frees its names.
import type { Worker } from "node:cluster";
import { type ClaimResult, type NameDirectory, nameKey } from "./directory";
import { sameToken } from "./identity";

/** Ms a worker waits for the primary's answer before it decides alone. */
const ANSWER_TIMEOUT = 5000;

type Request =
  | { t: "name:claim"; id: number; name: string; token: string; reclaim?: string }
  | { t: "name:has"; id: number; name: string }
  | { t: "name:release"; name: string; token: string };
type Answer = { t: "name:answer"; id: number; result: ClaimResult | boolean };
type Kick = { t: "name:kick"; name: string };

const isAnswer = (m: unknown): m is Answer => (m as Answer | null)?.t === "name:answer";
const isKick = (m: unknown): m is Kick => (m as Kick | null)?.t === "name:kick";

/** A worker's side: asks the primary. */
export class IpcDirectory implements NameDirectory {
  private next = 0;
  private readonly waiting = new Map<number, (result: ClaimResult | boolean) => void>();
  private readonly kicks: Array<(name: string) => void> = [];

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on("message", this.onMessage);
  }

  claim(name: string, token: string, reclaim?: string): Promise<ClaimResult> {
    // No answer (the primary is gone or stuck): the worker's own Names still hold it once.
    return this.ask({ t: "name:claim", id: 0, name: nameKey(name), token, reclaim }, "claimed");
  }

  has(name: string): Promise<boolean> {
    return this.ask({ t: "name:has", id: 0, name: nameKey(name) }, false);
  }

  release(name: string, token: string): void {
    this.send({ t: "name:release", name: nameKey(name), token });
  }

  onKick(listener: (name: string) => void): void {
    this.kicks.push(listener);
  }

  async close(): Promise<void> {
    this.channel.off("message", this.onMessage);
    for (const resolve of this.waiting.values()) resolve(false);
    this.waiting.clear();
  }

  private ask<T extends ClaimResult | boolean>(
    request: Exclude<Request, { t: "name:release" }>,
    otherwise: T,
  ): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => done(otherwise), ANSWER_TIMEOUT);
      const done = (result: ClaimResult | boolean): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(result as T);
      };
      this.waiting.set(id, done);
      if (!this.send({ ...request, id })) done(otherwise);
    });
  }

  private send(m: Request): boolean {
    if (!this.channel.connected || !this.channel.send) return false;
    this.channel.send(m, undefined, {}, () => {});
    return true;
  }

  private readonly onMessage = (m: unknown): void => {
    if (isAnswer(m)) this.waiting.get(m.id)?.(m.result);
    else if (isKick(m)) for (const kick of this.kicks) kick(m.name);
  };
}

/** The primary's side: the book of names, one entry per name held by a worker. */
export class NameBook {
  private readonly held = new Map<string, { worker: Worker; token: string }>();

  /** Answers `worker`'s requests, and frees its names when it exits. */
  add(worker: Worker): void {
    worker.on("message", (m: Request) => this.handle(worker, m));
    worker.once("exit", () => {
      for (const [name, entry] of this.held) if (entry.worker === worker) this.held.delete(name);
    });
  }

  /** Names held now. */
  get size(): number {
    return this.held.size;
  }

  private handle(worker: Worker, m: Request): void {
    if (m?.t === "name:release") {
      const entry = this.held.get(m.name);
      if (entry?.worker === worker && entry.token === m.token) this.held.delete(m.name);
      return;
    }
    if (m?.t === "name:has") {
      this.answer(worker, m.id, this.held.has(m.name));
      return;
    }
    if (m?.t !== "name:claim") return;
    const entry = this.held.get(m.name);
    let result: ClaimResult = "claimed";
    if (entry !== undefined) {
      if (m.reclaim === undefined || !sameToken(entry.token, m.reclaim)) result = "taken";
      else {
        result = "reclaimed";
        // Another worker's connection goes; a worker taking a name back from itself has
        // closed the old connection already.
        if (entry.worker !== worker && entry.worker.isConnected()) {
          entry.worker.send({ t: "name:kick", name: m.name } satisfies Kick, undefined, () => {});
        }
      }
    }
    if (result !== "taken") this.held.set(m.name, { worker, token: m.token });
    this.answer(worker, m.id, result);
  }

  private answer(worker: Worker, id: number, result: ClaimResult | boolean): void {
    if (worker.isConnected()) {
      worker.send({ t: "name:answer", id, result } satisfies Answer, undefined, () => {});
    }
  }
}
