// Join and leave notices, coalesced: a storm of joins or disconnects costs one
// broadcast per interval (each O(N)), never one per event (O(N^2) in all).
import { type ChatMessage, SYSTEM } from "./chat";

/** Most events listed by name in one coalesced notice; the rest are counted. */
export const MAX_LISTED = 20;
/** Up to this many pending notices are sent as they were, one by one (a quiet room sees no change). */
export const MAX_SEPARATE = 3;
/** Longest text of one listed event, in characters: a notice stays small whatever peers send. */
const MAX_ENTRY = 200;

const clip = (text: string): string =>
  text.length > MAX_ENTRY ? `${text.slice(0, MAX_ENTRY)}…` : text;

export class Notices {
  private pending: ChatMessage[] = [];
  private more = 0;
  private lastSent = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param interval - at most one notice per this many ms (0: every event at once)
   * @param send - broadcasts one notice to the room
   * @param sequence - the next sequence number for a notice of the server's own
   */
  constructor(
    private readonly interval: number,
    private readonly send: (notice: ChatMessage) => void,
    private readonly sequence: () => number,
  ) {}

  /** Announces `notice`: at once when the room was quiet for an interval, else with the next batch. */
  add(notice: ChatMessage): void {
    if (this.interval === 0) {
      this.send(notice);
      return;
    }
    if (
      this.pending.length + this.more === 0 &&
      performance.now() - this.lastSent >= this.interval
    ) {
      this.lastSent = performance.now();
      this.send(notice);
      return;
    }
    if (this.pending.length < MAX_LISTED) this.pending.push(notice);
    else this.more++;
    if (!this.timer) {
      const wait = Math.max(0, this.lastSent + this.interval - performance.now());
      this.timer = setTimeout(this.flush, wait);
      this.timer.unref();
    }
  }

  /** Stops the timer; what is pending is dropped (the room is closing). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.more = 0;
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    const batch = this.pending;
    const more = this.more;
    this.pending = [];
    this.more = 0;
    if (batch.length === 0) return;
    this.lastSent = performance.now();
    if (batch.length <= MAX_SEPARATE && more === 0) {
      for (const notice of batch) this.send(notice);
      return;
    }
    const listed = batch.map((n) =>
      clip(n.from === "server" ? n.content : `${n.from}: ${n.content}`),
    );
    this.send({
      type: SYSTEM,
      sequence: this.sequence(),
      from: "server",
      to: "",
      content: `${listed.join("; ")}${more > 0 ? ` (and ${more} more)` : ""}`,
    });
  };
}
