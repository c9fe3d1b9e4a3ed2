// What a peer sends is printed only after its terminal controls are taken out.

/** CSI (ESC [ ... final) and OSC (ESC ] ... BEL or ESC \) sequences, and other ESC-letter pairs. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
/** Line breaks and tabs (shown as a space, so that a peer cannot forge a line of its own). */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
/** C0 and C1 controls, DEL, and the bidirectional overrides, embeddings, isolates and marks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` without terminal escapes, control characters or bidi controls: line
 * breaks and tabs become spaces, everything else is removed.
 */
export function printable(text: string): string {
  return text.replace(ESCAPES, "").replace(BREAKS, " ").replace(CONTROLS, "");
}
