import { TaurusError } from "../errors";
import type { Protocol } from "../protocol";
import { integerOption, MAX_TIMER } from "../shared-options";
import type { ClientSessionSettings } from "./client-half";

/**
 * Resolves a client's `session` option, the same way for `@taurus/client` and
 * `@taurus/client-web`: `undefined` or `false` is no session, `true` every
 * default, an object the fields it sets (integers of at least 1; the two
 * times at most {@link MAX_TIMER} ms).
 *
 * @param option - what the user wrote
 * @param protocol - the client's protocol, which must have control frames
 * @param defaults - the client's defaults
 * @returns the settings, or `undefined` without a session
 * @throws `TaurusError` `INVALID_OPTION` (option `session`) when `option` is
 *   neither a boolean nor an object or the protocol has no control frames;
 *   (option `session.<field>`) for a field out of range
 * @internal
 */
export function resolveClientSessionSettings<M>(
  option: boolean | Partial<ClientSessionSettings> | undefined,
  protocol: Protocol<M>,
  defaults: ClientSessionSettings,
): ClientSessionSettings | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (typeof option !== "object" || option === null)) {
    throw new TaurusError("INVALID_OPTION", "session must be a boolean or an object", {
      option: "session",
    });
  }
  if (protocol.control === undefined) {
    throw new TaurusError(
      "INVALID_OPTION",
      `session: protocol "${protocol.name}" has no control frames (Protocol.control), so it cannot carry sessions`,
      { option: "session" },
    );
  }
  const o = option === true ? {} : option;
  const field = (name: keyof ClientSessionSettings, max?: number) =>
    integerOption(`session.${name}`, o[name], defaults[name], 1, max);
  return {
    helloTimeout: field("helloTimeout", MAX_TIMER),
    maxBufferedMessages: field("maxBufferedMessages"),
    maxBufferedBytes: field("maxBufferedBytes"),
    ackEvery: field("ackEvery"),
    ackInterval: field("ackInterval", MAX_TIMER),
  };
}
