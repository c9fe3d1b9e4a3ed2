import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Request/reply within a session (issue 13 item 6). The client flags each
 * request (a `request` control frame before it). While the handler of a
 * request, the client's data frame number `index`, runs (async continuations included), a
 * message the handler sends on that same session whose `sequence` equals the
 * request's is its reply: the server writes a `reply` control frame
 * (`{ to: index }`) just before it, and again before it when it is replayed.
 * A message sent by another connection's handler (a broadcast, a direct
 * line) runs in that handler's scope, so it is never taken for the reply,
 * whatever its `sequence`.
 *
 * @internal
 */
export interface ReplyScope {
  /** The session whose handler runs (compared by identity). */
  readonly owner: object;
  /** The client's data frame number being handled. */
  readonly index: number;
  /** The `sequence` of that message, when it has a numeric one. */
  readonly sequence: number | undefined;
  /** Set once the reply was sent: one reply per request. */
  replied: boolean;
}

/** @internal The scope of the handler running now, if it handles a session message. */
export const replyScope = new AsyncLocalStorage<ReplyScope>();

/**
 * The correlation number of a message: its numeric `sequence` field (both
 * Taurus protocols have one), the default correlation of `@taurus/client`.
 *
 * @internal
 */
export function sequenceOf(message: unknown): number | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const sequence = (message as { sequence?: unknown }).sequence;
  return typeof sequence === "number" && sequence !== 0 ? sequence : undefined;
}

/**
 * Which of a session's sent frames are replies, by server frame number, for
 * replay. Entries up to the client's acknowledged count are dropped.
 *
 * @internal
 */
export class ReplyMarks {
  private readonly marks = new Map<number, number>();
  /** The next frame sent answers client frame `to`. */
  private next: number | undefined;

  /** The next data frame sent is the reply to client frame `to`. */
  expect(to: number): void {
    this.next = to;
  }

  /** Data frame number `sent` was sent: records it when it is the awaited reply. */
  sent(sent: number): void {
    if (this.next === undefined) return;
    this.marks.set(sent, this.next);
    this.next = undefined;
  }

  /** @returns the client frame that server frame `index` answers, if it is a reply */
  replyTo(index: number): number | undefined {
    return this.marks.get(index);
  }

  /** The client acknowledged `count` frames: their marks are no longer needed. */
  acknowledge(count: number): void {
    for (const index of this.marks.keys()) {
      if (index > count) break;
      this.marks.delete(index);
    }
  }

  /** Marks held. */
  /** The marks held, `[frame, to]`, oldest first (for a store). */
  entries(): Array<readonly [number, number]> {
    return [...this.marks];
  }

  /** Loads marks read from a store (a session resumed from it). */
  restore(marks: ReadonlyArray<readonly [number, number]>): void {
    for (const [frame, to] of marks) this.marks.set(frame, to);
  }

  get size(): number {
    return this.marks.size;
  }
}
