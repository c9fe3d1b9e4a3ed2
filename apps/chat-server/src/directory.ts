// Names across instances: a directory every instance of the room asks before binding a
// name, so that a name is held once in the whole deployment (--workers through the
// primary, --redis in Redis). One process needs none: its Names are the whole room.

/** What a claim did. */
export type ClaimResult =
  /** The name was free; it is ours now. */
  | "claimed"
  /** Someone elsewhere holds it (and the token presented, if any, was not theirs). */
  | "taken"
  /** Someone held it; the token presented was theirs: it is ours now, theirs is kicked. */
  | "reclaimed";

/** The names held in the whole deployment. */
export interface NameDirectory {
  /**
   * Claims `name` for this instance, held with `token`; `reclaim` is the token a user
   * presents to take it back from a connection held elsewhere.
   */
  claim(name: string, token: string, reclaim?: string): Promise<ClaimResult>;
  /** Frees `name` if it is still held with `token`. */
  release(name: string, token: string): void;
  /** Whether `name` is held anywhere. */
  has(name: string): Promise<boolean>;
  /** `listener` is told of each name of this instance another instance took back. */
  onKick(listener: (name: string) => void): void;
  /** Frees what it holds and stops. */
  close(): Promise<void>;
}

/** The form a name is compared in: NFC, lower case. */
export const nameKey = (name: string): string => name.normalize("NFC").toLowerCase();
