/**
 * The outgoing slabs: shared buffers that `SendQueue.pushEncoded` writes
 * frames into with the protocol's `encodeInto`, so a frame of up to 32 KiB
 * costs no allocation of its own. Like Node's own buffer pool, space is handed
 * out front to back and never reused: a slab is garbage once no run in a queue
 * or a socket refers to it. Frames up to 4 KiB share small slabs (16 KiB),
 * larger ones large slabs (128 KiB).
 *
 * @internal
 */

/** What the send queue needs of a protocol to write a frame into a batch. */
export interface FrameWriter<M> {
  /** Writes the frame of `message` at `offset`; returns the number of bytes written. */
  encodeInto(message: M, target: Buffer, offset: number): number;
}

/** Size of one small slab, for frames up to {@link SLAB_FRAME_MAX}. */
export const SLAB_SIZE = 16 * 1024;

/** Frames larger than this go to a large slab (a small slab keeps at least 4 of them). */
export const SLAB_FRAME_MAX = 4 * 1024;

/**
 * Size of one large slab, for frames over {@link SLAB_FRAME_MAX} and up to
 * {@link LARGE_SLAB_FRAME_MAX}. Allocating an `ArrayBuffer` costs about the
 * same (2-3 µs here) whatever its size up to a few hundred KiB: one per 16 KiB
 * frame was the largest cost of sending them. A large slab is kept apart from
 * the small one so that a socket stalled on a small frame still pins at most
 * 16 KiB; one stalled on a large frame pins at most this much (and holds at
 * least 4 KiB of its own bytes in it), released when that write completes.
 */
export const LARGE_SLAB_SIZE = 128 * 1024;

/** Frames larger than this get a buffer of their own (a large slab keeps at least 4 of them). */
export const LARGE_SLAB_FRAME_MAX = 32 * 1024;

/** The slab of the last {@link reserve} (a live binding: read it after `reserve`). */
export let slab: Buffer = Buffer.allocUnsafeSlow(0);
/** The memory of every slab still alive, to tell a view into a slab from any other bytes. */
const slabs = new WeakSet<ArrayBufferLike>();

/** Whether `bytes` is a view into a slab. */
export function inSlab(bytes: Uint8Array): boolean {
  return slabs.has(bytes.buffer);
}

/** One size of slab: the current one and how much of it is handed out. */
class SlabPool {
  buffer: Buffer = slab;
  used = 0;
  constructor(private readonly size: number) {}

  /** The offset of `n` bytes of the current slab, starting a new one when it is full. */
  take(n: number): number {
    if (this.buffer.length - this.used < n) {
      this.buffer = Buffer.allocUnsafeSlow(this.size);
      slabs.add(this.buffer.buffer);
      this.used = 0;
    }
    const offset = this.used;
    this.used += n;
    return offset;
  }
}

const small = new SlabPool(SLAB_SIZE);
const large = new SlabPool(LARGE_SLAB_SIZE);

/**
 * Reserves `size` bytes of the current small or large slab (by the frame's
 * size), starting a new slab when it is full; {@link slab} is then that slab.
 *
 * @returns the offset of the reserved bytes in {@link slab}, or `-1` for a frame over {@link LARGE_SLAB_FRAME_MAX}
 */
export function reserve(size: number): number {
  const pool = size <= SLAB_FRAME_MAX ? small : size <= LARGE_SLAB_FRAME_MAX ? large : undefined;
  if (pool === undefined) return -1;
  const offset = pool.take(size);
  slab = pool.buffer;
  return offset;
}

/** Gives back the last reservation of `buffer` when nothing was reserved after it in that slab (a failed encode). */
export function unreserve(buffer: Buffer, offset: number, size: number): void {
  const pool = buffer === small.buffer ? small : buffer === large.buffer ? large : undefined;
  if (pool !== undefined && pool.used === offset + size) pool.used = offset;
}
