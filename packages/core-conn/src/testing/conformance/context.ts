// What every check of the conformance kit works from: the samples and their frames.
import type { Protocol } from "../../protocol";
import { ConformanceError, show } from "./assert";
import type { ConformanceOptions } from "./options";

/** The protocol under test, its samples and their frames. */
export interface KitContext<M> {
  readonly protocol: Protocol<M>;
  readonly samples: readonly M[];
  /** `frames[i]` is `encode(samples[i])`. */
  readonly frames: readonly Uint8Array[];
  /** `offsets[i]` is where `frames[i]` starts in `stream`. */
  readonly offsets: readonly number[];
  /** Every frame, back to back. */
  readonly stream: Uint8Array;
  /** Random cases per property. */
  readonly runs: number;
}

/** Encodes the samples once, with a labelled error when that fails. */
export function kitContext<M>(options: ConformanceOptions<M>): () => KitContext<M> {
  let context: KitContext<M> | undefined;
  return () => {
    context ??= build(options);
    return context;
  };
}

function build<M>(options: ConformanceOptions<M>): KitContext<M> {
  const { protocol, samples } = options;
  if (typeof protocol !== "object" || protocol === null || typeof protocol.encode !== "function") {
    throw new ConformanceError(`options.protocol is ${show(protocol)}: pass a Protocol object.`);
  }
  if (typeof protocol.createDecoder !== "function" && typeof protocol.decode !== "function") {
    throw new ConformanceError(
      `protocol ${protocol.name} has neither createDecoder() (contract v2) nor decode() (contract v1).`,
    );
  }
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new ConformanceError("options.samples is empty: give a few messages of your protocol.");
  }
  const frames = samples.map((message, i) => {
    let frame: Uint8Array;
    try {
      frame = protocol.encode(message);
    } catch (err) {
      throw new ConformanceError(
        `encode(sample #${i}) threw ${err instanceof Error ? err.message : String(err)}: every sample must be encodable.`,
      );
    }
    if (!(frame instanceof Uint8Array) || frame.length === 0) {
      throw new ConformanceError(
        `encode(sample #${i}) returned ${show(frame)}: it must return the frame's bytes (a non-empty Uint8Array).`,
      );
    }
    if (frame.length > protocol.maxMessageSize) {
      throw new ConformanceError(
        `encode(sample #${i}) returned ${frame.length} bytes, over maxMessageSize ${protocol.maxMessageSize}: it must throw MESSAGE_TOO_LARGE instead.`,
      );
    }
    return Uint8Array.from(frame); // our own copy: nothing the protocol does later changes it
  });
  const offsets: number[] = [];
  let size = 0;
  for (const f of frames) {
    offsets.push(size);
    size += f.length;
  }
  const stream = new Uint8Array(size);
  frames.forEach((f, i) => {
    stream.set(f, offsets[i]);
  });
  return { protocol, samples, frames, offsets, stream, runs: options.runs ?? 200 };
}

/** A sample's name in failure messages. */
export const sampleName = <M>(ctx: KitContext<M>, i: number): string =>
  `sample #${i} (${(ctx.frames[i] as Uint8Array).length}-byte frame)`;
