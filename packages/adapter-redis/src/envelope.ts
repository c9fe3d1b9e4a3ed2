// What crosses Redis: [1 byte: length of the instance id][instance id, UTF-8][payload].

/** @internal Wraps a payload with its publisher's instance id. */
export function seal(instanceId: Buffer, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + instanceId.length + payload.length);
  out[0] = instanceId.length;
  instanceId.copy(out, 1);
  out.set(payload, 1 + instanceId.length);
  return out;
}

/** @internal Splits a message into its origin and payload; `undefined` when it is too short. */
export function open(message: Buffer): { origin: string; payload: Buffer } | undefined {
  if (message.length < 1) return undefined;
  const idLength = message[0] as number;
  if (message.length < 1 + idLength) return undefined;
  return {
    origin: message.toString("utf8", 1, 1 + idLength),
    payload: message.subarray(1 + idLength),
  };
}
