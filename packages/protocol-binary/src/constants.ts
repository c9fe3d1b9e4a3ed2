/** The two magic bytes that start every binary frame: `0xCA 0xFE`, read as a big-endian u16. */
export const BINARY_MAGIC = 0xcafe;

/** The size of a binary frame header in bytes: magic 2 + version 1 + type 4 + sequence 4 + length 4. */
export const BINARY_HEADER_SIZE = 15;

/** The size of a binary frame footer in bytes: the CRC-32 (u32). */
export const BINARY_FOOTER_SIZE = 4;

/** The bytes a binary frame adds around its data: header + footer (19). A frame is `19 + data.length` bytes. */
export const BINARY_FRAME_OVERHEAD = BINARY_HEADER_SIZE + BINARY_FOOTER_SIZE;

/**
 * The default `maxMessageSize` of {@link createBinaryProtocol}: 10 MiB, the default of the
 * Go protocol (taurus-pro-tcp). It bounds the whole frame, header and CRC included.
 *
 * @defaultValue 10485760
 */
export const DEFAULT_BINARY_MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/** The first magic byte (internal). */
export const MAGIC_0 = 0xca;
/** The second magic byte (internal). */
export const MAGIC_1 = 0xfe;
