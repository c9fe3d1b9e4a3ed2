// Decoding with the receive buffer poisoned, and telling a decoding bug from kept views.
import { type DecodedStream, decodeStream } from "../decode-stream";
import { checkMessages } from "./assert";
import type { KitContext } from "./context";
import { messagesOf } from "./streams";

/** What a failure says when a message is only wrong once the receive buffer is overwritten. */
export const VIEWS_HINT =
  "The decoder keeps views into the buffer it decodes from (a Buffer#subarray or #slice, or a " +
  "parser that returns views, as @msgpack/msgpack does for binary values); a connection " +
  "overwrites that buffer once decode returns. Copy what a message keeps: copyBytes() from " +
  "@taurus/core-conn.";

/**
 * Decodes `chunks` as a connection would, with each frame's bytes overwritten
 * as soon as it is decoded, and checks that the messages are `want`. When they
 * are not, decodes again without overwriting, to say whether the decoder is
 * wrong or keeps views into the buffer.
 */
export function decodeExpecting<M>(
  ctx: KitContext<M>,
  chunks: readonly Uint8Array[],
  want: readonly M[],
  context: string,
  limit = ctx.protocol.maxMessageSize,
  hint = "",
): DecodedStream<M> {
  const decoded = decodeStream(ctx.protocol, chunks, limit);
  try {
    checkMessages(messagesOf(decoded.events), want, context, hint);
  } catch (err) {
    const plain = decodeStream(ctx.protocol, chunks, limit, { poison: false });
    // Wrong either way: the decoder's own bug; the plain run says it without views in play.
    checkMessages(messagesOf(plain.events), want, context, hint);
    checkMessages(
      messagesOf(decoded.events),
      want,
      `${context}, with each frame's bytes overwritten right after decode returned`,
      VIEWS_HINT,
    );
    throw err;
  }
  return decoded;
}
