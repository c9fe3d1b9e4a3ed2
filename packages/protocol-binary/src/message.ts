/**
 * One message of the binary protocol.
 *
 * No field is validated on the wire: `version`, `type` and `sequence` may all be 0.
 */
export interface BinaryMessage {
  /** The protocol version chosen by the application, a u8 (0 to 255). */
  version: number;
  /** The application's message type, a u32 (0 to 4294967295). */
  type: number;
  /** The sequence number, a u32 (0 to 4294967295). */
  sequence: number;
  /**
   * The payload bytes. On decode this is always a fresh copy (a plain `Uint8Array`), never a
   * view into the connection's buffer, so it stays valid after the connection reuses its buffer.
   */
  data: Uint8Array;
}

/** Options of {@link createBinaryProtocol}. */
export interface BinaryProtocolOptions {
  /**
   * The largest whole frame (19 bytes of header and CRC + data) accepted by `decode` and
   * produced by `encode`, in bytes. Must be a safe integer of at least 19.
   *
   * @defaultValue 10485760 (10 MiB, {@link DEFAULT_BINARY_MAX_MESSAGE_SIZE}), the Go protocol default
   */
  maxMessageSize?: number;
}
