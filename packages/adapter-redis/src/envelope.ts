// What crosses Redis (README, "The envelope"):
//   [u8 L][instance id: L bytes of UTF-8][u8 kind][u32 run][u64 sequence][payload]
// kind 0 is a message; kind 1 is a tick (no payload: the publisher's last sequence on the
// channel, sent while it is idle so that a loss at the end of a burst is counted too).

/** @internal A message. */
export const KIND_MESSAGE = 0;
/** @internal A tick: "my last message on this channel was `sequence`". */
export const KIND_TICK = 1;

/** @internal An opened envelope. */
export interface Envelope {
  origin: string;
  kind: number;
  run: number;
  sequence: number;
  payload: Buffer;
}

const TAIL = 1 + 4 + 8;

/** @internal Wraps a payload with its publisher's instance id, run and sequence number. */
export function seal(
  instanceId: Buffer,
  kind: number,
  run: number,
  sequence: number,
  payload: Uint8Array,
): Buffer {
  const at = 1 + instanceId.length;
  const out = Buffer.allocUnsafe(at + TAIL + payload.length);
  out[0] = instanceId.length;
  instanceId.copy(out, 1);
  out[at] = kind;
  out.writeUInt32BE(run, at + 1);
  out.writeUInt32BE(Math.floor(sequence / 2 ** 32), at + 5);
  out.writeUInt32BE(sequence >>> 0, at + 9);
  out.set(payload, at + TAIL);
  return out;
}

/** @internal Opens an envelope; `undefined` when it is too short to be one. */
export function open(message: Buffer): Envelope | undefined {
  if (message.length < 1) return undefined;
  const idLength = message[0] as number;
  const at = 1 + idLength;
  if (idLength === 0 || message.length < at + TAIL) return undefined;
  return {
    origin: message.toString("utf8", 1, at),
    kind: message[at] as number,
    run: message.readUInt32BE(at + 1),
    sequence: message.readUInt32BE(at + 5) * 2 ** 32 + message.readUInt32BE(at + 9),
    payload: message.subarray(at + TAIL),
  };
}
