// Join and leave notices, once each: a client that quits sends "left" and the server
// then announces "<name> disconnected"; only the first of the two is shown.
import { JOINED, LEFT } from "./codec";

/** How long a second leave notice for the same name counts as the same leave. */
const SAME_LEAVE_MS = 10_000;

export type Presence = { kind: "joined" | "left"; name: string };

export class PresenceTracker {
  private readonly left = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * What a system message says about presence: a join or leave to show, `"duplicate"` for
   * the second notice of one leave, or `undefined` when it is not about presence.
   */
  classify(from: string, content: string): Presence | "duplicate" | undefined {
    if (content === JOINED) {
      this.left.delete(from);
      return { kind: "joined", name: from };
    }
    let name: string | undefined;
    if (content === LEFT) name = from;
    else if (from === "server" && content.endsWith(" disconnected")) {
      name = content.slice(0, -" disconnected".length);
    }
    if (name === undefined) return undefined;
    const at = this.left.get(name);
    const now = this.now();
    for (const [n, t] of this.left) if (now - t > SAME_LEAVE_MS) this.left.delete(n);
    if (at !== undefined && now - at <= SAME_LEAVE_MS) {
      this.left.delete(name);
      return "duplicate";
    }
    this.left.set(name, now);
    return { kind: "left", name };
  }
}
