import { TaurusError } from "./errors";
import type { DecodeResult, Decoder, Fatal, Protocol } from "./protocol";

const MIN_CAPACITY = 4096;
/** The smallest piece of a pending chunk copied behind a buffered partial frame. @internal */
export const PIECE_MIN = 4096;
const EMPTY = Buffer.alloc(0);

/**
 * The per-connection decoder of `protocol` (contract v2), or `undefined` for a
 * v1 protocol's stateless `decode`.
 *
 * @throws {@link TaurusError} `INVALID_OPTION` when the protocol has neither
 *   `createDecoder` nor `decode`, or `createDecoder` returns no decoder
 * @internal
 */
export function frameDecoder<M>(protocol: Protocol<M>, limit: number): Decoder<M> | undefined {
  if (typeof protocol.createDecoder === "function") {
    const decoder = protocol.createDecoder({ maxMessageSize: limit });
    if (typeof decoder?.decode !== "function") {
      throw new TaurusError(
        "INVALID_OPTION",
        `protocol ${protocol.name}: createDecoder() must return an object with a decode() method`,
      );
    }
    return decoder;
  }
  if (typeof protocol.decode !== "function") {
    throw new TaurusError(
      "INVALID_OPTION",
      `protocol ${protocol.name} has neither createDecoder() nor decode()`,
    );
  }
  return undefined;
}

/**
 * Turns a stream of chunks into decode results. Pure: it knows nothing of
 * sockets, timers or events (the {@link Connection} drives it).
 *
 * - It decodes with the protocol's per-connection decoder (contract v2,
 *   `createDecoder`), or with its stateless `decode` (contract v1).
 * - After a fatal result it stops: later chunks are discarded, and `next`
 *   returns `undefined`.
 * - A chunk that arrives with nothing buffered is decoded in place, without a copy.
 * - Only an incomplete frame at the end of a chunk is copied, into one growable
 *   buffer. The next chunk is not copied whole after it: it waits beside the
 *   buffer ("pending") and is copied in pieces (doubling what is buffered, at
 *   least {@link PIECE_MIN} bytes) only until the frame completes; from then on
 *   the rest of the chunk is decoded in place again. A chunk is thus copied
 *   only for the frame that straddles two reads, at most about twice its rest.
 * - A frame announced as too large is skipped as it streams in: its bytes are
 *   counted down and discarded, never held.
 * - Buffered bytes never exceed `limit` plus one chunk, whatever the protocol
 *   reports: a v1 protocol that keeps asking for more past `limit` has its
 *   bytes dropped as too large; a v2 decoder that does so breaks its contract
 *   (its state no longer matches the bytes) and the result is fatal.
 *
 * @internal
 */
export class FrameReader<M> {
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** `buf` is our own copy (true) or a chunk we were handed (false). */
  private owned = false;
  private skip = 0;
  private stopped = false;
  /** A chunk that arrived behind a partial frame, not yet (wholly) copied into `buf`. */
  private pending: Buffer | undefined;
  /** How many bytes of `pending` are already copied into `buf`. */
  private pendingAt = 0;
  /**
   * @param decoder - the connection's decoder, from {@link frameDecoder}: a
   *   reader may be let go between frames and another made, the decoder (and
   *   whatever state it keeps) stays the connection's
   */
  constructor(
    private readonly protocol: Protocol<M>,
    private readonly limit: number,
    private readonly decoder: Decoder<M> | undefined = frameDecoder(protocol, limit),
  ) {}

  /** Whether the reader holds nothing: no bytes, no frame being skipped, not stopped (it may be let go). */
  get atRest(): boolean {
    return (
      this.start === this.end && this.pending === undefined && this.skip === 0 && !this.stopped
    );
  }

  /** Bytes buffered and not yet consumed (a pending chunk's included). */
  get buffered(): number {
    const pending = this.pending;
    return this.end - this.start + (pending === undefined ? 0 : pending.length - this.pendingAt);
  }

  /** Bytes of memory held: the reader's own buffer, or the chunk it was handed and still reads from, and a pending chunk. */
  get capacity(): number {
    return this.buf.length + (this.pending?.length ?? 0);
  }

  /** Bytes of an oversized frame still to be discarded as they arrive. */
  get skipping(): number {
    return this.skip;
  }

  /** Whether a fatal result stopped decoding. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Adds a chunk; returns how many of its bytes were discarded as the rest of a skipped frame (or after a fatal result). */
  push(chunk: Buffer): number {
    if (this.stopped) return chunk.length;
    let discarded = 0;
    if (this.skip > 0) {
      discarded = Math.min(this.skip, chunk.length);
      this.skip -= discarded;
      if (discarded === chunk.length) return discarded;
      chunk = chunk.subarray(discarded);
    }
    if (this.start === this.end && this.pending === undefined) {
      this.borrow(chunk, 0);
      return discarded;
    }
    // Behind bytes still buffered: the chunk waits, and is copied only as far as the
    // frame in progress needs (see `next`). A chunk still pending is copied whole first.
    if (this.pending !== undefined) this.feed(this.pending.length - this.pendingAt);
    this.pending = chunk;
    this.pendingAt = 0;
    return discarded;
  }

  /**
   * Decodes the next frame of what is buffered, or returns `undefined` when
   * nothing is buffered (or decoding stopped). A message or drop is consumed
   * before it is returned; on "need more" the remaining bytes are kept (copied
   * out of the chunk); a fatal result releases everything and stops.
   */
  next(): DecodeResult<M> | undefined {
    if (this.stopped) return undefined;
    const decoder = this.decoder;
    for (;;) {
      const available = this.end - this.start;
      // A pending chunk only ever waits behind bytes of `buf` (see `consume`).
      if (available === 0) return undefined;
      const result =
        decoder !== undefined
          ? decoder.decode(this.buf, this.start, this.end)
          : // checked in the constructor
            this.protocol.decode!(this.buf, this.start, this.end, this.limit);
      switch (result.kind) {
        case "message":
        case "drop":
          this.consume(result.consumed, available);
          return result;
        case "fatal":
          return this.stop(result);
        default:
          if (available >= this.limit) {
            // The frame being assembled is already over the limit: a protocol
            // must say so before. A stateless v1 decoder loses nothing if we
            // drop what it holds; a v2 decoder's state would no longer match.
            if (decoder !== undefined) {
              return this.stop({
                kind: "fatal",
                reason: "too_large",
                detail: `decoder asked for more than ${this.limit} bytes`,
              });
            }
            this.consume(available, available);
            return { kind: "drop", consumed: available, reason: "too_large" };
          }
          if (this.pending !== undefined) {
            // Copy the next piece of the waiting chunk behind the partial frame, and retry.
            this.feed(Math.max(PIECE_MIN, available));
            continue;
          }
          this.retain();
          return result;
      }
    }
  }

  /** Discards everything buffered (end of stream); returns how many bytes that was. */
  clear(): number {
    const n = this.buffered;
    this.release();
    this.pending = undefined;
    this.skip = 0;
    return n;
  }

  private stop(fatal: Fatal): Fatal {
    this.stopped = true;
    this.release();
    this.pending = undefined;
    this.skip = 0;
    return fatal;
  }

  private consume(consumed: number, available: number): void {
    // A protocol that reports no progress would loop forever; treat it as 1 byte.
    const n = consumed > 0 ? consumed : 1;
    if (n < available) {
      this.start += n;
      // Once every byte left in `buf` came from the pending chunk, read that chunk in place.
      if (this.pending !== undefined && this.end - this.start <= this.pendingAt) {
        this.borrow(this.pending, this.pendingAt - (this.end - this.start));
      }
      return;
    }
    let rest = n - available;
    const pending = this.pending;
    if (pending !== undefined) {
      // A drop larger than `buf` goes on into the pending chunk first.
      const at = Math.min(this.pendingAt + rest, pending.length);
      rest -= at - this.pendingAt;
      if (at < pending.length) {
        this.borrow(pending, at);
        return;
      }
      this.pending = undefined;
    }
    this.skip += rest;
    this.release();
  }

  /** Reads `chunk` in place from `start` (no copy); a pending chunk becomes the buffer this way. */
  private borrow(chunk: Buffer, start: number): void {
    this.buf = chunk;
    this.start = start;
    this.end = chunk.length;
    this.owned = false;
    if (chunk === this.pending) this.pending = undefined;
  }

  /** Lets go of the buffer once it is empty, so an idle connection holds no buffer. */
  private release(): void {
    this.buf = EMPTY;
    this.start = this.end = 0;
    this.owned = false;
  }

  /** Copies up to `n` more bytes of the pending chunk behind `buf`; forgets the chunk once wholly copied. */
  private feed(n: number): void {
    const pending = this.pending as Buffer;
    const to = Math.min(this.pendingAt + n, pending.length);
    this.append(pending.subarray(this.pendingAt, to));
    this.pendingAt = to;
    if (to === pending.length) this.pending = undefined;
  }

  /** Keeps the unconsumed tail of a borrowed chunk by copying it into our own buffer. */
  private retain(): void {
    if (this.owned) return;
    const tail = this.buf.subarray(this.start, this.end);
    const copy = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, tail.length * 2));
    tail.copy(copy, 0);
    this.buf = copy;
    this.end = tail.length;
    this.start = 0;
    this.owned = true;
  }

  private append(chunk: Buffer): void {
    if (!this.owned) this.retain();
    const used = this.end - this.start;
    const need = used + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(
        Math.max(need, Math.min(this.buf.length * 2, this.limit + chunk.length)),
      );
      this.buf.copy(grown, 0, this.start, this.end);
      this.buf = grown;
      this.start = 0;
      this.end = used;
    } else if (this.end + chunk.length > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = used;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }
}
