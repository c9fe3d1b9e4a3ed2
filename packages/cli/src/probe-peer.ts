// One probe connection: two heartbeats in one write, then what came back, and how.
import net from "node:net";
import { decoderFor } from "@taurus/core-conn";
import type { Address } from "./args";
import { HEARTBEAT, type Kit } from "./kits";
import { type Spoken, spokenBy } from "./sniff";

/** The sender name of the probe's heartbeats: its `<` and `&` tell Go's JSON encoder apart. */
export const PROBE_NAME = "taurus-probe<&>";

export interface Exchange {
  /** The socket error, when the connection failed. */
  error?: Error;
  /** What the first bytes received look like. */
  spoken: Spoken;
  /** Every byte received (up to 64 KiB). */
  bytes: Buffer;
  /** The messages decoded with the kit's protocol. */
  replies: unknown[];
  /** Milliseconds from the write to the first byte back. */
  rtt?: number;
}

/**
 * Connects, writes heartbeats 1 and 2 of `kit` in one write, and collects what comes
 * back until both are answered, `settle` ms after the first answer, or `timeout`.
 */
export function exchange(
  kit: Kit,
  address: Address,
  timeout: number,
  signal?: AbortSignal,
  settle = 500,
): Promise<Exchange> {
  const ping = (sequence: number) =>
    kit.protocol.encode(kit.chat("ping", { type: HEARTBEAT, sequence, from: PROBE_NAME }));
  const request = Buffer.concat([ping(1), ping(2)]);
  return new Promise((resolve) => {
    const result: Exchange = { spoken: "unknown", bytes: Buffer.alloc(0), replies: [] };
    const socket = net.connect({ host: address.host, port: address.port });
    let started = 0;
    let settleTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
      signal?.removeEventListener("abort", finish);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(finish, timeout);
    signal?.addEventListener("abort", finish, { once: true });
    socket.once("error", (err) => {
      if (result.bytes.length === 0) result.error = err;
      finish();
    });
    socket.once("close", finish);
    socket.once("connect", () => {
      started = performance.now();
      socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      if (result.rtt === undefined) result.rtt = performance.now() - started;
      if (result.bytes.length < 65536) result.bytes = Buffer.concat([result.bytes, chunk]);
      result.spoken = spokenBy(result.bytes);
      result.replies = decodeAll(kit, result.bytes);
      if (result.replies.length >= 2) finish();
      else if (result.replies.length === 1 && !settleTimer)
        settleTimer = setTimeout(finish, settle);
    });
  });
}

function decodeAll(kit: Kit, bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  const decoder = decoderFor(kit.protocol);
  let at = 0;
  while (at < bytes.length) {
    const r = decoder.decode(bytes, at, bytes.length);
    if (r.kind === "need_more" || r.kind === "fatal") break;
    if (r.kind === "message") out.push(r.message);
    at += r.consumed;
  }
  return out;
}
