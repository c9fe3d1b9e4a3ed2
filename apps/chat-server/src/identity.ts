// Who is speaking: a name is bound to a connection at join, unique among this instance's
// connections (case-insensitively), and a token handed to the joiner lets a reconnecting
// user take the name back from a connection the server still holds.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { nameKey } from "./directory";

/** Longest name, in characters. */
export const MAX_NAME_LENGTH = 32;

/** Why `name` cannot be a chat name, or `undefined` when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "a name is required";
  if ([...name].length > MAX_NAME_LENGTH) {
    return `a name has at most ${MAX_NAME_LENGTH} characters`;
  }
  if (/[\p{C}\p{Z}\s]/u.test(name)) return "a name has no spaces or control characters";
  if (/^[#/@]/.test(name)) return "a name does not start with #, / or @";
  if (name.toLowerCase() === "server") return '"server" is the server\'s own name';
  return undefined;
}

/** A bound name: who holds it, and the token that takes it back. */
export interface Holder<P> {
  readonly name: string;
  readonly token: string;
  readonly peer: P;
}

const key = nameKey;

/** Whether two tokens are equal, in time independent of where they differ. */
export const sameToken = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The names bound on this instance. */
export class Names<P> {
  private readonly byKey = new Map<string, Holder<P>>();

  get size(): number {
    return this.byKey.size;
  }

  /** Binds `name` to `peer`; `undefined` when someone holds it. */
  claim(name: string, peer: P): Holder<P> | undefined {
    if (this.byKey.has(key(name))) return undefined;
    return this.bind(name, peer);
  }

  /**
   * Gives `name` to `peer` when `token` is its holder's: returns the new holder and the
   * one it replaces (whose connection the caller closes); `undefined` otherwise.
   */
  reclaim(
    name: string,
    token: string,
    peer: P,
  ): { holder: Holder<P>; replaced: Holder<P> } | undefined {
    const replaced = this.byKey.get(key(name));
    if (replaced === undefined || !sameToken(replaced.token, token)) return undefined;
    return { holder: this.bind(replaced.name, peer), replaced };
  }

  /** Frees the name if `holder` still holds it; true when it did. */
  release(holder: Holder<P>): boolean {
    if (this.byKey.get(key(holder.name)) !== holder) return false;
    this.byKey.delete(key(holder.name));
    return true;
  }

  /** Whoever holds `name` now. */
  get(name: string): Holder<P> | undefined {
    return this.byKey.get(key(name));
  }

  /** Every name bound now, in join order. */
  list(): string[] {
    return [...this.byKey.values()].map((h) => h.name);
  }

  private bind(name: string, peer: P): Holder<P> {
    const holder = { name, token: randomBytes(18).toString("base64url"), peer };
    this.byKey.set(key(name), holder);
    return holder;
  }
}
