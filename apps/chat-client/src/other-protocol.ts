// Whether a port answers a chat heartbeat in a given protocol (the client's own check when
// the server stays silent: a server that speaks the other protocol drops our frames unseen).
import { createClient } from "@taurus/client";
import { type ChatCodec, HEARTBEAT } from "./codec";

export async function answersHeartbeat<M>(
  host: string,
  port: number,
  codec: ChatCodec<M>,
  timeout = 2_000,
): Promise<boolean> {
  const client = createClient<M>({
    address: { host, port },
    protocol: codec.protocol,
    maxRetries: 0,
    connectTimeout: timeout,
  });
  try {
    await client.connect();
    const ping = codec.wrap({ type: HEARTBEAT, sequence: 1, from: "", to: "", content: "ping" });
    const reply = await client.request(ping, { timeout });
    return codec.unwrap(reply)?.type === HEARTBEAT;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}
