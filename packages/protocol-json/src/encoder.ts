import { JSON_HEADER_SIZE } from "./constants";
import { jsonBody, jsonBodyLength, writeJsonFrame } from "./encode";
import type { JsonMessage } from "./message";

/**
 * `encodedLength` then `encodeInto` for one protocol instance: the body that
 * `encodedLength` serialises is kept for the `encodeInto` call that follows
 * for the same message (a connection makes both calls back to back), so it is
 * serialised once. Any other call serialises again.
 *
 * @internal
 */
export class JsonFrameWriter {
  private message: JsonMessage | undefined;
  private type = 0;
  private sequence = 0;
  private data: unknown;
  private timestamp = 0n;
  private body = "";
  private length = 0;

  constructor(private readonly maxMessageSize: number) {}

  /** The frame size of `message`, keeping its body for {@link JsonFrameWriter.encodeInto}. */
  encodedLength(message: JsonMessage): number {
    const body = jsonBody(message);
    const length = jsonBodyLength(body, this.maxMessageSize);
    this.message = message;
    this.type = message.type;
    this.sequence = message.sequence;
    this.data = message.data;
    this.timestamp = message.timestamp;
    this.body = body;
    this.length = length;
    return JSON_HEADER_SIZE + length;
  }

  /** Writes the frame of `message` at `offset`; returns its size. */
  encodeInto(message: JsonMessage, target: Buffer, offset: number): number {
    let body: string;
    let length: number;
    if (
      message === this.message &&
      message.type === this.type &&
      message.sequence === this.sequence &&
      message.data === this.data &&
      message.timestamp === this.timestamp
    ) {
      body = this.body;
      length = this.length;
    } else {
      body = jsonBody(message);
      length = jsonBodyLength(body, this.maxMessageSize);
    }
    // Keep nothing: the next message is another one.
    this.message = undefined;
    this.data = undefined;
    this.body = "";
    return writeJsonFrame(target, offset, body, length);
  }
}
