import { type Protocol, TaurusError } from "@taurus/core-conn";

/**
 * The server's protocol, checked before anything reads it: a missing one is
 * an `INVALID_OPTION` naming `protocol`, not a `TypeError` from deep inside.
 *
 * @internal
 */
export function checkedProtocol<M>(protocol: Protocol<M> | undefined): Protocol<M> {
  if (
    typeof protocol !== "object" ||
    protocol === null ||
    typeof protocol.encode !== "function" ||
    typeof protocol.maxMessageSize !== "number"
  ) {
    throw new TaurusError("INVALID_OPTION", "option protocol must be a Protocol", {
      option: "protocol",
    });
  }
  return protocol;
}
