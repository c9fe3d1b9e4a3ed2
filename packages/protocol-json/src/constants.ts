/** The two magic bytes that start every JSON frame: `0xFE 0xFF`, read as a big-endian u16. */
export const JSON_MAGIC = 0xfeff;

/** The size of a JSON frame header in bytes: magic 2 + body length 4. A frame is `6 + body length` bytes. */
export const JSON_HEADER_SIZE = 6;

/**
 * The default `maxMessageSize` of {@link createJsonProtocol}: 10 MiB, the default of the Go
 * protocol (taurus-pro-tcp). It bounds the whole frame, header included.
 *
 * @defaultValue 10485760
 */
export const DEFAULT_JSON_MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/** The first magic byte (internal). */
export const MAGIC_0 = 0xfe;
/** The second magic byte (internal). */
export const MAGIC_1 = 0xff;
/** The largest u32. */
export const U32_MAX = 0xffffffff;
/** The smallest int64. */
export const INT64_MIN = -(2n ** 63n);
/** The largest int64. */
export const INT64_MAX = 2n ** 63n - 1n;
