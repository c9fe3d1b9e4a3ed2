import {
  allocBytes,
  type Decoder,
  dropReasonCode,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn/codec";

/** What {@link FrameBuffer.push} found: messages in order, and drops. */
export interface Decoded<M> {
  messages: M[];
  drops: TaurusError[];
  fatal: TaurusError | undefined;
}

/**
 * @internal The inbound bytes of one WebSocket, decoded with the protocol's
 * decoder: a message may hold part of a frame or several frames.
 */
export class FrameBuffer<M> {
  private buffer: Buffer = allocBytes(4096);
  private start = 0;
  private end = 0;
  private readonly decoder: Decoder<M>;

  constructor(protocol: Protocol<M>, maxMessageSize: number) {
    if (protocol.createDecoder) this.decoder = protocol.createDecoder({ maxMessageSize });
    else {
      const decode = protocol.decode;
      if (!decode) throw new TaurusError("INVALID_OPTION", "protocol has no decoder");
      this.decoder = { decode: (b, s, e) => decode(b, s, e, maxMessageSize) };
    }
  }

  push(bytes: Uint8Array): Decoded<M> {
    this.append(bytes);
    const out: Decoded<M> = { messages: [], drops: [], fatal: undefined };
    let skip = 0;
    while (this.start < this.end) {
      const result = this.decoder.decode(this.buffer, this.start, this.end);
      if (result.kind === "need_more") break;
      if (result.kind === "fatal") {
        out.fatal = new TaurusError(dropReasonCode(result.reason), result.detail ?? result.reason);
        this.start = this.end = 0;
        break;
      }
      const consumed = result.consumed;
      if (result.kind === "message") out.messages.push(result.message);
      else
        out.drops.push(
          new TaurusError(dropReasonCode(result.reason), result.detail ?? result.reason),
        );
      const available = this.end - this.start;
      if (consumed > available) skip = consumed - available;
      this.start += Math.min(consumed, available);
    }
    if (this.start === this.end) this.start = this.end = 0;
    this.skip = skip;
    return out;
  }

  /** Bytes of a dropped frame still to come, discarded as they arrive. */
  private skip = 0;

  private append(bytes: Uint8Array): void {
    let from = 0;
    if (this.skip > 0) {
      from = Math.min(this.skip, bytes.length);
      this.skip -= from;
    }
    const length = bytes.length - from;
    if (length === 0) return;
    if (this.end + length > this.buffer.length) {
      const used = this.end - this.start;
      const next =
        used + length > this.buffer.length
          ? allocBytes(Math.max(this.buffer.length * 2, used + length))
          : this.buffer;
      next.set(this.buffer.subarray(this.start, this.end), 0);
      this.buffer = next;
      this.start = 0;
      this.end = used;
    }
    this.buffer.set(bytes.subarray(from), this.end);
    this.end += length;
  }
}
