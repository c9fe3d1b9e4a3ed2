// What a refused or evicted chat peer is told before the server closes its connection.
import type { TaurusError } from "@taurus/core-conn";
import { type ChatMessage, SYSTEM } from "./chat";

const REASONS: Record<string, string> = {
  CONNECTION_LIMIT: "the server is full, or your address has too many connections; try again later",
  HANDSHAKE_TIMEOUT: "nothing was received from you in time",
  FRAME_TIMEOUT: "a message took too long to arrive",
  IDLE_TIMEOUT: "you were idle for too long",
  SLOW_CONSUMER: "you did not read what the room sent you",
  SEND_QUEUE_FULL: "you did not read what the room sent you",
  MEMORY_BUDGET: "the server is short of memory and you held the most",
  RATE_LIMITED: "you sent too many messages",
  CONNECTION_CLOSED: "the server is shutting down",
};

/** The system message that tells a peer why it is refused or closed; `undefined` when nothing needs saying. */
export function farewellMessage(error: TaurusError, sequence: number): ChatMessage | undefined {
  const reason = REASONS[error.code];
  if (!reason) return undefined;
  return {
    type: SYSTEM,
    sequence,
    from: "server",
    to: "",
    content: `disconnected by the server: ${reason} (${error.code})`,
  };
}
