import { Duplex } from "node:stream";
import type { RawData, WebSocket } from "ws";
import { type FrameLength, splitFrames } from "./frames";

/** WebSocket close code for a text message (1003: unsupported data). */
export const CLOSE_UNSUPPORTED_DATA = 1003;

/**
 * A WebSocket seen as the Duplex a Taurus `Connection` runs over: each frame
 * written (a `Connection` writes whole frames, several at a time) goes out as
 * one binary WebSocket message, byte for byte (cut by `frameLength`); each binary message received is
 * pushed as read bytes. A write completes when `ws` has handed it to the TCP
 * socket, so a peer that does not read fills `writableLength` and the
 * connection's write timeout and slow-consumer policy apply as over TCP.
 * Reading pauses the WebSocket when the reader does not keep up.
 *
 * A text message is refused: `onText` is called and the WebSocket is closed
 * with code 1003.
 */
export class WebSocketDuplex extends Duplex {
  /** The peer's address (the real remote address, or the trusted proxy's client). */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;

  constructor(
    private readonly ws: WebSocket,
    peer: { remoteAddress?: string | undefined; remotePort?: number | undefined },
    private readonly onText: () => void,
    private readonly frameLength: FrameLength | undefined,
  ) {
    super({ allowHalfOpen: false });
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    ws.on("message", this.onMessage);
    ws.on("close", this.onClose);
    ws.on("error", this.onError);
  }

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    if (!isBinary) {
      this.onText();
      this.ws.close(CLOSE_UNSUPPORTED_DATA, "binary messages only");
      return;
    }
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? Buffer.from(data)
        : data;
    if (!this.push(bytes)) this.ws.pause();
  };

  private readonly onClose = (): void => {
    this.push(null);
    this.destroy();
  };

  private readonly onError = (err: Error): void => {
    this.destroy(err);
  };

  /** Resumes the WebSocket when the reader wants more. */
  override _read(): void {
    this.ws.resume();
  }

  /** Sends the frames of `chunk`, one binary message each. */
  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.sendAll([chunk], callback);
  }

  /** Sends the frames of every chunk, one binary message each. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.sendAll(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  /** One binary message per frame; `callback` once the last is handed to the socket. */
  private sendAll(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    const frames = chunks.flatMap((chunk) => splitFrames(chunk, this.frameLength));
    const last = frames.length - 1;
    frames.forEach((frame, i) => {
      this.ws.send(frame, { binary: true }, i === last ? (err) => callback(err) : undefined);
    });
  }

  /** Closes the WebSocket normally (1000) once everything written was sent. */
  override _final(callback: (error?: Error | null) => void): void {
    this.ws.close(1000);
    callback();
  }

  /** Terminates the WebSocket (after an error) or closes it (1000). */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.ws.off("message", this.onMessage);
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      if (error) this.ws.terminate();
      else this.ws.close(1000);
    }
    callback(error);
  }
}
