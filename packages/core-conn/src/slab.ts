/**
 * The outgoing slab: a shared buffer that `SendQueue.pushEncoded` writes
 * frames into with the protocol's `encodeInto`, so a small frame costs no
 * allocation of its own. Like Node's own buffer pool, space is handed out
 * front to back and never reused: a slab is garbage once no run in a queue
 * or a socket refers to it.
 *
 * @internal
 */

/** What the send queue needs of a protocol to write a frame into a batch. */
export interface FrameWriter<M> {
  /** Writes the frame of `message` at `offset`; returns the number of bytes written. */
  encodeInto(message: M, target: Buffer, offset: number): number;
}

/** Size of one slab. */
export const SLAB_SIZE = 16 * 1024;

/** Frames larger than this get a buffer of their own (a slab keeps at least 4 of them). */
export const SLAB_FRAME_MAX = 4 * 1024;

/** The current slab (a live binding: read it after {@link reserve}). */
export let slab: Buffer = Buffer.allocUnsafeSlow(0);
let used = 0;
/** The memory of every slab still alive, to tell a view into a slab from any other bytes. */
const slabs = new WeakSet<ArrayBufferLike>();

/** Whether `bytes` is a view into a slab. */
export function inSlab(bytes: Uint8Array): boolean {
  return slabs.has(bytes.buffer);
}

/**
 * Reserves `size` bytes of the current slab, starting a new slab when it is full.
 *
 * @returns the offset of the reserved bytes in {@link slab}, or `-1` for a frame over {@link SLAB_FRAME_MAX}
 */
export function reserve(size: number): number {
  if (size > SLAB_FRAME_MAX) return -1;
  if (slab.length - used < size) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabs.add(slab.buffer);
    used = 0;
  }
  const offset = used;
  used += size;
  return offset;
}

/** Gives back the last reservation when nothing was reserved after it (a failed encode). */
export function unreserve(buffer: Buffer, offset: number, size: number): void {
  if (buffer === slab && used === offset + size) used = offset;
}
