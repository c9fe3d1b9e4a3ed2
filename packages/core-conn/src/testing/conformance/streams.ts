// Byte-stream helpers of the conformance kit.
import type { StreamEvent } from "../decode-stream";

/** Splits `bytes` at the given (unsorted, possibly repeated) offsets. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) parts.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < bytes.length) parts.push(bytes.subarray(from));
  return parts;
}

/** Splits `bytes` into chunks of the given sizes, used in turn. */
export function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] as number;
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return parts;
}

/** Concatenates byte arrays into one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The offsets in `[from, to)` worth cutting at: all of them for a short range;
 * for a long one, the first and last 256 and 512 spread between (a cut in the
 * middle of a long body is like any other; cuts near headers and ends are not).
 */
export function cutPoints(from: number, to: number): number[] {
  const n = to - from;
  if (n <= 1024) return Array.from({ length: n }, (_, i) => from + i);
  const points = new Set<number>();
  for (let i = 0; i < 256; i++) {
    points.add(from + i);
    points.add(to - 1 - i);
  }
  for (let i = 0; i < 512; i++) points.add(from + 256 + Math.floor(((n - 512) * i) / 512));
  return [...points].sort((a, b) => a - b);
}

/** The messages of a decoded stream, in order. */
export function messagesOf<M>(events: readonly StreamEvent<M>[]): M[] {
  const out: M[] = [];
  for (const e of events) if ("message" in e) out.push(e.message);
  return out;
}

/** The first event that is not a message, if any. */
export function firstNonMessage<M>(events: readonly StreamEvent<M>[]): StreamEvent<M> | undefined {
  return events.find((e) => !("message" in e));
}

/** Total bytes dropped (continued drops included). */
export function droppedBytes<M>(events: readonly StreamEvent<M>[]): number {
  let n = 0;
  for (const e of events) if ("drop" in e) n += e.consumed;
  return n;
}
