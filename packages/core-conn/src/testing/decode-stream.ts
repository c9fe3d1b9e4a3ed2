import { FrameReader } from "../frame-reader";
import type { DecodeResult, Decoder, DropReason, Protocol } from "../protocol";
import { ConformanceError, show } from "./conformance/assert";

/** A decoded message, in a {@link DecodedStream}. */
export interface StreamMessageEvent<M> {
  /** The message. */
  message: M;
}

/** Dropped bytes, in a {@link DecodedStream}. */
export interface StreamDropEvent {
  /** Why the bytes were dropped. */
  drop: DropReason;
  /** How many bytes were dropped (may exceed what had arrived, for an oversized frame). */
  consumed: number;
  /** Present and `true` when the drop continues the previous one (no new `drop` event on a connection). */
  continues?: true;
}

/** A fatal result, in a {@link DecodedStream}: the stream ends there. */
export interface StreamFatalEvent {
  /** Why the stream cannot go on. */
  fatal: DropReason;
}

/** One event of a decoded stream, as the suite records it. */
export type StreamEvent<M> = StreamMessageEvent<M> | StreamDropEvent | StreamFatalEvent;

/** The result of decoding a whole stream with {@link decodeStream}. */
export interface DecodedStream<M> {
  /** Messages, drops and at most one fatal result (the last event), in order. */
  events: StreamEvent<M>[];
  /** Bytes still buffered after the last chunk (an incomplete frame); 0 after a fatal result. */
  leftover: number;
  /** The most bytes ever buffered at once. */
  maxBuffered: number;
}

/** Options of {@link decodeStream}. */
export interface DecodeStreamOptions {
  /**
   * Overwrite (invert) the bytes of each decoded frame as soon as `decode`
   * returns, as a connection's buffer reuse would: a message that keeps views
   * into the receive buffer then no longer equals what was sent.
   *
   * @defaultValue `true`
   */
  poison?: boolean;
}

/**
 * Decodes a stream delivered in the given chunks through the same frame reader
 * a `Connection` uses, with a fresh decoder (one connection), and checks the
 * protocol's rules on every call: no throw, progress on every message or
 * drop, no message over the limit. The chunks are copied first: they are
 * never modified.
 *
 * @param protocol - the protocol under test
 * @param chunks - the stream, split into chunks
 * @param maxMessageSize - the limit in force (default: the protocol's own)
 * @param options - see {@link DecodeStreamOptions}
 * @returns every event, the leftover and the peak of buffered bytes
 * @throws `ConformanceError` when the protocol breaks a rule of the contract
 *   (the message says which, and why)
 */
export function decodeStream<M>(
  protocol: Protocol<M>,
  chunks: readonly Uint8Array[],
  maxMessageSize: number = protocol.maxMessageSize,
  options: DecodeStreamOptions = {},
): DecodedStream<M> {
  const run = new StreamDecoder(protocol, maxMessageSize, options.poison ?? true);
  const events: StreamEvent<M>[] = [];
  for (const chunk of chunks) {
    if (run.stopped) break;
    run.feed(chunk, events);
  }
  return { events, leftover: run.buffered, maxBuffered: run.maxBuffered };
}

/**
 * One connection's worth of decoding, chunk by chunk, with every call checked
 * (the engine of {@link decodeStream}).
 *
 * @internal
 */
export class StreamDecoder<M> {
  private readonly reader: FrameReader<M>;
  /** The most bytes ever buffered at once. */
  maxBuffered = 0;

  constructor(protocol: Protocol<M>, maxMessageSize: number, poison: boolean) {
    this.reader = new FrameReader(checkedProtocol(protocol, poison), maxMessageSize);
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.reader.buffered;
  }

  /** Whether a fatal result ended the stream. */
  get stopped(): boolean {
    return this.reader.isStopped;
  }

  /** Adds a chunk (copied) and appends what it completes to `events`. */
  feed(chunk: Uint8Array, events: StreamEvent<M>[]): void {
    const reader = this.reader;
    reader.push(Buffer.from(chunk));
    if (reader.buffered > this.maxBuffered) this.maxBuffered = reader.buffered;
    for (let r = reader.next(); r && r.kind !== "need_more"; r = reader.next()) {
      if (r.kind === "message") events.push({ message: r.message });
      else if (r.kind === "fatal") events.push({ fatal: r.reason });
      else if (r.continues === true) {
        events.push({ drop: r.reason, consumed: r.consumed, continues: true });
      } else events.push({ drop: r.reason, consumed: r.consumed });
    }
  }
}

const KINDS = new Set(["message", "need_more", "drop", "fatal"]);
const REASONS = new Set(["invalid_format", "checksum", "too_large", "malformed_body"]);

/** The protocol, with every decode call checked (and poisoned), in the same contract version. */
function checkedProtocol<M>(protocol: Protocol<M>, poison: boolean): Protocol<M> {
  const { name, maxMessageSize } = protocol;
  const encode = (m: M) => protocol.encode(m);
  if (typeof protocol.createDecoder === "function") {
    return {
      name,
      maxMessageSize,
      encode,
      createDecoder: (options) => {
        const decoder = protocol.createDecoder?.(options) as Decoder<M>;
        if (typeof decoder?.decode !== "function") {
          throw new ConformanceError(
            `createDecoder() returned ${show(decoder)}: it must return an object with a decode(buffer, start, end) method.`,
          );
        }
        const state = { last: "" };
        return {
          decode: (buffer, start, end) =>
            checkResult(
              () => decoder.decode(buffer, start, end),
              buffer,
              start,
              end,
              options.maxMessageSize,
              poison,
              state,
            ),
        };
      },
    };
  }
  const decode = protocol.decode;
  if (typeof decode !== "function") {
    throw new ConformanceError(
      `protocol ${name} has neither createDecoder() (contract v2) nor decode() (contract v1).`,
    );
  }
  const state = { last: "" };
  return {
    name,
    maxMessageSize,
    encode,
    decode: (buffer, start, end, max) =>
      checkResult(
        () => decode.call(protocol, buffer, start, end, max),
        buffer,
        start,
        end,
        max,
        poison,
        state,
      ),
  };
}

function checkResult<M>(
  call: () => DecodeResult<M>,
  buffer: Buffer,
  start: number,
  end: number,
  limit: number,
  poison: boolean,
  state: { last: string },
): DecodeResult<M> {
  const available = end - start;
  let result: DecodeResult<M>;
  try {
    result = call();
  } catch (err) {
    throw new ConformanceError(
      `decode threw on ${available} buffered bytes: ${err instanceof Error ? err.message : String(err)}. ` +
        "A decoder must never throw: return a drop (or a fatal result) for bytes it cannot decode.",
    );
  }
  const kind = (result as { kind?: unknown } | null)?.kind;
  if (typeof kind !== "string" || !KINDS.has(kind)) {
    throw new ConformanceError(
      `decode returned ${show(result)}: a result's kind is "message", "need_more", "drop" or "fatal".`,
    );
  }
  if (result.kind === "message" || result.kind === "drop") {
    const { consumed } = result;
    if (!Number.isInteger(consumed) || consumed < 1) {
      throw new ConformanceError(
        `decode returned a ${result.kind} with consumed ${show(consumed)}: it must consume at least 1 byte (no progress would loop forever).`,
      );
    }
  }
  if (result.kind === "drop" || result.kind === "fatal") {
    if (!REASONS.has(result.reason)) {
      throw new ConformanceError(
        `decode returned a ${result.kind} with reason ${show(result.reason)}: use invalid_format, checksum, too_large or malformed_body.`,
      );
    }
  }
  if (result.kind === "drop" && result.continues === true && state.last !== "drop") {
    throw new ConformanceError(
      `decode returned a drop with continues: true after a ${state.last || "fresh start"}: only a drop can be continued.`,
    );
  }
  if (result.kind === "message") {
    if (result.consumed > available) {
      throw new ConformanceError(
        `decode returned a message of ${result.consumed} bytes with only ${available} buffered: a message must be whole.`,
      );
    }
    if (result.consumed > limit) {
      throw new ConformanceError(
        `decode delivered a frame of ${result.consumed} bytes over the limit of ${limit}: drop it as too_large (the limit is the connection's, at most the protocol's maxMessageSize).`,
      );
    }
    if (poison) {
      // What a connection does to these bytes sooner or later: reuse them.
      for (let i = start; i < start + result.consumed; i++) buffer[i] = ~(buffer[i] as number);
    }
  }
  if (result.kind !== "need_more") state.last = result.kind;
  return result;
}
