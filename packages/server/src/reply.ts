import type { Connection } from "@taurus/core-conn";

/** A message with a sequence number, as both Taurus wire formats have. */
export interface Sequenced {
  /** The number that matches a reply to its request. */
  sequence: number;
}

/**
 * Sends `response` as the reply to `request`: the response carries the
 * request's `sequence`, which is how `client.request()` matches it.
 *
 * @param conn - the connection the request came from
 * @param request - the request being answered
 * @param response - the reply; its own `sequence` is replaced
 * @returns what `conn.send` returns
 * @throws `TaurusError` as `Connection.send` (`CONNECTION_CLOSED`, `SEND_QUEUE_FULL`, encoder errors)
 *
 * @example
 * ```ts
 * onMessage(msg, conn) {
 *   if (msg.type === GET_TIME) reply(conn, msg, { ...msg, data: { now: Date.now() } });
 * }
 * ```
 */
export function reply<M extends Sequenced>(conn: Connection<M>, request: M, response: M): boolean {
  return conn.send({ ...response, sequence: request.sequence });
}
