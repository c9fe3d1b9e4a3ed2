/**
 * The message type both Taurus protocols reserve for control frames
 * (keepalive and sessions): 4294967295, the largest u32. The Go peers never
 * produce it. The frame's `sequence` names the control kind
 * ({@link CONTROL_KIND}).
 */
export const CONTROL_TYPE = 0xffffffff;

/**
 * The control kinds, carried in the `sequence` field of a control frame.
 *
 * - `ping` (1), `pong` (2): keepalive, no payload;
 * - `hello` (3): client to server, asks for a session: `{ v: 1 }` for a new
 *   one, `{ v: 1, id, received }` to resume one;
 * - `welcome` (4): server to client, grants it: `{ id, received, resumed }`
 *   (`received`: the client's data frames the server has processed);
 * - `ack` (5): either way, `{ received }`: the data frames processed so far
 *   (cumulative);
 * - `refuse` (6): server to client, no session: `{ reason }`
 *   (`"unsupported"`, `"limit"`, ...); the connection goes on without one;
 * - `goodbye` (7): server to client, `{ reason: "resume-elsewhere" }`: the
 *   server is going away, resume the session on a new connection;
 * - `lost` (8): server to client, the session asked for cannot be resumed
 *   (`{ id, reason, received }`); a `welcome` for a new session follows;
 * - `reply` (9): server to client, `{ to }`: the next data frame of the
 *   session is the reply to the client's data frame number `to` (a request,
 *   issue 13 item 6); sent again before that frame when it is replayed;
 * - `request` (10): client to server, no payload: the next data frame is a
 *   request (sent again before it when it is replayed); only a request's
 *   reply is marked.
 */
export const CONTROL_KIND = Object.freeze({
  /** Keepalive request, no payload. */
  ping: 1,
  /** Keepalive answer, no payload. */
  pong: 2,
  /** Client to server: asks for a session (new, or resumed). */
  hello: 3,
  /** Server to client: the session is granted. */
  welcome: 4,
  /** Either way: the data frames processed so far (cumulative). */
  ack: 5,
  /** Server to client: no session on this connection. */
  refuse: 6,
  /** Server to client: resume elsewhere (the server is shutting down). */
  goodbye: 7,
  /** Server to client: the session cannot be resumed. */
  lost: 8,
  /** Server to client: the next data frame answers the request of client frame `to`. */
  reply: 9,
  /** Client to server: the next data frame is a request (its reply gets a `reply` mark). */
  request: 10,
} as const);

/** A control kind's number (see {@link CONTROL_KIND}). */
export type ControlKind = (typeof CONTROL_KIND)[keyof typeof CONTROL_KIND];

/**
 * The payload of a control frame: a flat object of strings, numbers and
 * booleans. The JSON protocol carries it as the frame's `data` object; the
 * binary protocol as the UTF-8 bytes of its JSON text (empty for none).
 */
export type ControlPayload = { readonly [field: string]: string | number | boolean };

/** A decoded control frame. */
export interface ControlFrame {
  /** The control kind (see {@link CONTROL_KIND}); unknown kinds are ignored by receivers. */
  readonly kind: number;
  /** The payload; an empty object when the frame has none. */
  readonly payload: ControlPayload;
}

/**
 * The control facet of a protocol (see `Protocol.control`): how a control
 * frame is written as a message of the format, and how one is recognised.
 * A protocol without it cannot carry sessions.
 *
 * @typeParam M - the message type of the protocol
 */
export interface Control<M> {
  /**
   * Makes the control message of `kind` with `payload`.
   *
   * @param kind - a control kind (see {@link CONTROL_KIND})
   * @param payload - the payload @defaultValue none
   * @returns a message of the format, to be sent like any other
   */
  encode(kind: number, payload?: ControlPayload): M;
  /**
   * Recognises a control message. Called once per decoded message: a field
   * comparison first, the payload parsed only for control frames.
   *
   * @returns the control frame, or `undefined` for an application message
   *   (or for a control-typed message whose payload is not an object)
   */
  decode(message: M): ControlFrame | undefined;
}

const NO_PAYLOAD: ControlPayload = Object.freeze({});

/**
 * Reads a control payload from JSON text (the binary protocol's form).
 *
 * @param text - the JSON text; empty means no payload
 * @returns the payload, or `undefined` when the text is not a flat JSON object
 */
export function parseControlPayload(text: string): ControlPayload | undefined {
  if (text.length === 0) return NO_PAYLOAD;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return asControlPayload(value);
}

/**
 * Checks that a value is a flat object of strings, numbers and booleans
 * (`null` counts as no payload).
 *
 * @param value - a decoded value
 * @returns the payload, or `undefined` when it is not one
 */
export function asControlPayload(value: unknown): ControlPayload | undefined {
  if (value === null || value === undefined) return NO_PAYLOAD;
  if (typeof value !== "object" || Array.isArray(value)) return undefined;
  for (const field of Object.values(value as Record<string, unknown>)) {
    const t = typeof field;
    if (t !== "string" && t !== "number" && t !== "boolean") return undefined;
  }
  return value as ControlPayload;
}
