import { TaurusError } from "./errors";

/**
 * Default memory budget of a server: 320 MiB for everything held on behalf of
 * peers (partial inbound frames, send queues, socket write buffers), for a
 * small machine (1 GiB of RAM). With the per-connection defaults of
 * `@taurus/server` a peer holds at most 320 KiB (a reader buffer of up to two
 * 64 KiB frames, a 64 KiB send queue, the 64 KiB write high-water mark and one
 * 64 KiB frame written past it), so 1,000 connections fit in it.
 */
export const DEFAULT_MEMORY_BUDGET = 320 * 1024 * 1024;

/** What the budget can close. @internal */
export interface BudgetOwner {
  destroy(error: TaurusError): void;
}

/**
 * What a {@link MemoryBudget} accounts: the bytes last accounted for it, and
 * how to close it. A connection is its own holder (no object more per
 * connection); other owners get a {@link BudgetAccount}. @internal
 */
export interface BudgetHolder extends BudgetOwner {
  /**
   * Bytes accounted for this holder; changed only by the budget ({@link MemoryBudget.set}),
   * and -1 once its account is closed.
   */
  budgetHeld: number;
}

/**
 * One owner's share of a {@link MemoryBudget}: the bytes last accounted
 * for it. @internal
 */
export class BudgetAccount implements BudgetHolder {
  /** Bytes accounted for this owner. */
  budgetHeld = 0;

  constructor(
    private readonly budget: MemoryBudget,
    readonly owner: BudgetOwner,
  ) {}

  /** Accounts `bytes` for the owner (replacing what was accounted before). */
  set(bytes: number): void {
    this.budget.set(this, bytes);
  }

  /** Closes the owner. */
  destroy(error: TaurusError): void {
    this.owner.destroy(error);
  }
}

/**
 * A budget of bytes held on behalf of peers, shared by every connection that
 * is given it (a server's, or several servers'): partial inbound frames,
 * frames waiting in send queues, and bytes in the sockets' write buffers.
 *
 * Each connection accounts its own bytes as they change (no scan of all
 * connections per message); the socket buffers, which drain without an
 * event, are re-read on the deadline sweep (at least once a second). When the
 * total goes over `limit`, the connection holding the most is closed with
 * `MEMORY_BUDGET`, then the next, until the total is under the limit again.
 *
 * @example
 * ```ts
 * const budget = new MemoryBudget(128 * 1024 * 1024);
 * const json = createServer({ protocol: createJsonProtocol(), memoryBudget: budget });
 * const binary = createServer({ protocol: createBinaryProtocol(), memoryBudget: budget });
 * ```
 */
export class MemoryBudget {
  /** The most bytes held before a connection is closed. */
  readonly limit: number;
  private total = 0;
  private closed = 0;
  /** Accounts open. */
  private accountsOpen = 0;
  /**
   * The accounts holding bytes, the only ones `enforce` can close, and
   * connections that held some since their last sweep: an account holding
   * none (an idle connection) is counted, not kept here.
   */
  private readonly holding = new Set<BudgetHolder>();
  private enforcing = false;

  /**
   * @param limit - bytes, an integer >= 1
   * @defaultValue `limit`: {@link DEFAULT_MEMORY_BUDGET} (320 MiB)
   * @throws {@link TaurusError} `INVALID_OPTION` when `limit` is not an integer >= 1
   */
  constructor(limit: number = DEFAULT_MEMORY_BUDGET) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new TaurusError(
        "INVALID_OPTION",
        `option memoryBudget must be an integer from 1, got ${String(limit)}`,
      );
    }
    this.limit = limit;
  }

  /** Bytes held now, as last accounted. */
  get used(): number {
    return this.total;
  }

  /** Connections accounted in this budget. */
  get connections(): number {
    return this.accountsOpen;
  }

  /** Connections closed so far because the budget was exceeded. */
  get evictions(): number {
    return this.closed;
  }

  /** Opens an account for `owner`. @internal */
  open(owner: BudgetOwner): BudgetAccount {
    const account = new BudgetAccount(this, owner);
    this.accountsOpen++;
    return account;
  }

  /** Accounts `holder` (a connection) from now on, holding nothing yet. @internal */
  add(holder: BudgetHolder): void {
    holder.budgetHeld = 0;
    this.accountsOpen++;
  }

  /** Accounts `bytes` for `holder`, replacing what was accounted before. @internal */
  set(holder: BudgetHolder, bytes: number): void {
    this.update(holder, bytes);
    // Zero now, and the account open (a closed one is -1 and already out of the set).
    if (holder.budgetHeld === 0) this.holding.delete(holder);
  }

  /**
   * As {@link MemoryBudget.set}, but a holder that comes down to nothing stays
   * among the holders until its next `set` (a connection's, on its sweep at
   * least once a second): for the data path, where a connection's queue fills
   * and empties every tick, so that it is not added and removed every tick.
   * @internal
   */
  update(holder: BudgetHolder, bytes: number): void {
    const before = holder.budgetHeld;
    if (before === bytes || before < 0) return; // unchanged, or the account is closed
    holder.budgetHeld = bytes;
    this.total += bytes - before;
    if (before === 0) this.holding.add(holder);
    if (this.total > this.limit && !this.enforcing) this.enforce();
  }

  /** Closes an account; its bytes leave the total. @internal */
  release(holder: BudgetHolder): void {
    const held = holder.budgetHeld;
    if (held < 0) return;
    this.holding.delete(holder);
    this.total -= held;
    holder.budgetHeld = -1;
    this.accountsOpen--;
  }

  /** Closes the largest holders until the total is within the limit. */
  private enforce(): void {
    this.enforcing = true;
    try {
      while (this.total > this.limit) {
        let largest: BudgetHolder | undefined;
        for (const holder of this.holding) {
          // Holders of nothing (not yet swept out) are never the largest.
          if (holder.budgetHeld > (largest?.budgetHeld ?? 0)) largest = holder;
        }
        if (!largest) return;
        this.closed++;
        const held = largest.budgetHeld;
        largest.destroy(
          new TaurusError(
            "MEMORY_BUDGET",
            `memory budget of ${this.limit} bytes exceeded; this connection held ${held} bytes, the most`,
          ),
        );
        // An owner that did not release its account on close is released here.
        this.release(largest);
      }
    } finally {
      this.enforcing = false;
    }
  }
}
