// Admission: a connection's first message goes to the handler's `admit`, which accepts it
// (perhaps with an identity) or refuses it with a reason; nothing reaches `onMessage` before.
import { type Connection, TaurusError } from "@taurus/core-conn";

/** The attribute of an admitted connection that holds the identity `admit` attached. */
export const IDENTITY = "taurus.identity";

/**
 * What `admit` decides for a connection. Accept, optionally attaching an identity (read it
 * with {@link identityOf}) and asking for the first message to be handled as any other;
 * or refuse with a reason, which the handler's `farewell` gets as the message of an
 * `ADMISSION_REFUSED` error before the connection closes.
 */
export type Admission =
  | {
      /** Let the connection in. */
      accept: true;
      /** Who the peer is, for the rest of the connection. @defaultValue none */
      identity?: unknown;
      /** `true`: the first message also goes to `onMessage`. @defaultValue `false` (it was the credentials) */
      deliver?: boolean;
    }
  | {
      /** Refuse the connection: it is closed with `ADMISSION_REFUSED`. */
      accept: false;
      /** Why, for the peer (through `farewell`) and for `onError`. */
      reason: string;
    };

/**
 * The identity `admit` attached to `conn`, or `undefined` (no `admit`, none attached, or
 * not admitted yet).
 *
 * @typeParam T - the identity's type, as the application attached it
 */
export function identityOf<T = unknown>(conn: Connection<unknown>): T | undefined {
  return conn.attributes.get(IDENTITY) as T | undefined;
}

/** Where a connection stands with `admit`. @internal */
export type AdmissionState = "waiting" | "deciding" | "admitted" | "refused";

/**
 * Applies a decision of `admit` to `conn`: an identity attached, or the connection closed
 * with `ADMISSION_REFUSED` (the handler's `farewell` tells the peer why).
 *
 * @returns `true` when the connection was admitted
 * @internal
 */
export function applyAdmission<M>(conn: Connection<M>, decision: unknown): boolean {
  const d = decision as Admission | undefined;
  if (d?.accept === true) {
    if (d.identity !== undefined) conn.attributes.set(IDENTITY, d.identity);
    return true;
  }
  const reason =
    d?.accept === false && typeof d.reason === "string" && d.reason !== ""
      ? d.reason
      : "refused by admit";
  conn.destroy(new TaurusError("ADMISSION_REFUSED", reason));
  return false;
}
