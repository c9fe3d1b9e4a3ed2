// Counts what one direction of a stream delivered: every message carries its stream's id
// and its index (0, 1, 2, ...) in its payload; the sender reports each index its send()
// accepted, the receiver each index its handler got. Lost, duplicated and reordered are
// counted from those two lists alone, so any pair of peers can be measured the same way.

/** The payload of message `index` of stream `stream`: `"<stream> <index>"`. */
export function payloadOf(stream: string, index: number): string {
  return `${stream} ${index}`;
}

/** The stream id and index of a payload made by {@link payloadOf}, or `undefined` for anything else. */
export function parsePayload(text: string): { stream: string; index: number } | undefined {
  const m = /^(\S+) (\d+)$/.exec(text);
  return m ? { stream: m[1]!, index: Number(m[2]) } : undefined;
}

/** What one direction delivered. */
export interface DeliveryReport {
  /** Messages the sender's send() accepted. */
  accepted: number;
  /** Messages the receiver's handler got, duplicates included. */
  received: number;
  /** Accepted and never received. */
  lost: number;
  /** Received more than once (each extra copy counts one). */
  duplicated: number;
  /** Received after a message with a higher index (duplicates excluded). */
  reordered: number;
  /** Received but never accepted (a message the sender's send() refused, or an accounting bug). */
  unexpected: number;
  /** The first lost indices, to read in a failure. */
  firstLost: number[];
}

/** Counts one direction of one stream. */
export class DeliveryCounter {
  private readonly acceptedSet = new Set<number>();
  private readonly seen = new Set<number>();
  private receivedCount = 0;
  private duplicated = 0;
  private reordered = 0;
  private highest = -1;

  /** @param stream - the stream's id, as found in its payloads */
  constructor(readonly stream: string) {}

  /** The sender's send() accepted message `index`. */
  accepted(index: number): void {
    this.acceptedSet.add(index);
  }

  /** The receiver's handler got message `index`. */
  received(index: number): void {
    this.receivedCount++;
    if (this.seen.has(index)) {
      this.duplicated++;
      return;
    }
    this.seen.add(index);
    if (index < this.highest) this.reordered++;
    else this.highest = index;
  }

  /** Whether message `index` was received. */
  saw(index: number): boolean {
    return this.seen.has(index);
  }

  /** Distinct messages received so far. */
  get distinct(): number {
    return this.seen.size;
  }

  /** Messages accepted so far. */
  get acceptedCount(): number {
    return this.acceptedSet.size;
  }

  /** The counts as they stand. */
  report(): DeliveryReport {
    const firstLost: number[] = [];
    let lost = 0;
    for (const index of this.acceptedSet) {
      if (this.seen.has(index)) continue;
      lost++;
      if (firstLost.length < 10) firstLost.push(index);
    }
    let unexpected = 0;
    for (const index of this.seen) if (!this.acceptedSet.has(index)) unexpected++;
    return {
      accepted: this.acceptedSet.size,
      received: this.receivedCount,
      lost,
      duplicated: this.duplicated,
      reordered: this.reordered,
      unexpected,
      firstLost: firstLost.sort((a, b) => a - b),
    };
  }
}
