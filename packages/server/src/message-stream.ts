import { type Connection, TaurusError } from "@taurus/core-conn";
import { integerOption } from "@taurus/core-conn/internal";

/** Default messages a {@link MessageStream} buffers before it holds the connections back: 64. */
export const DEFAULT_STREAM_HIGH_WATER_MARK = 64;

/** One message of a {@link MessageStream}, with the connection it came on. */
export interface IncomingMessage<M> {
  /** The connection the message came on (reply with `conn.send` or `reply`). */
  conn: Connection<M>;
  /** The message. */
  message: M;
}

/** Options of {@link createMessageStream}. */
export interface MessageStreamOptions {
  /**
   * Messages buffered before the stream holds back the connection that
   * delivers the next one (the server stops reading it until the stream has
   * drained to half of this); an integer >= 1.
   * @defaultValue {@link DEFAULT_STREAM_HIGH_WATER_MARK} (64)
   */
  highWaterMark?: number;
}

/**
 * The messages of every connection of a server as one async iterable: the
 * server's `for await`. Its `onMessage` is the handler's; each connection's
 * messages come in order, and a connection whose message finds the buffer
 * full is not read further until the loop has caught up (the server's own
 * backpressure for an async `onMessage`). Create it with
 * {@link createMessageStream}.
 *
 * @typeParam M - the message type of the protocol
 */
export interface MessageStream<M> extends AsyncIterable<IncomingMessage<M>> {
  /**
   * The `onMessage` of the server's handler: `handler: { onMessage: stream.onMessage }`.
   * After {@link MessageStream.end} it refuses messages with `CONNECTION_CLOSED`
   * (the server reports that as `HANDLER_FAILED`: nothing vanishes unseen).
   */
  readonly onMessage: (message: M, conn: Connection<M>) => void | Promise<void>;
  /** Messages buffered and not yet consumed. */
  readonly buffered: number;
  /**
   * Ends the iteration once the buffered messages are consumed (breaking out
   * of the loop ends it too, dropping what is buffered). Call it when the
   * server closes: `server.once("close", () => stream.end())`.
   */
  end(): void;
}

/**
 * Creates a {@link MessageStream}: handle a server's messages with
 * `for await` instead of a callback.
 *
 * @param options - `highWaterMark`
 * @returns the stream; only one loop may consume it (a second `for await`
 *   throws `INVALID_OPTION`)
 * @throws `TaurusError` `INVALID_OPTION` naming `highWaterMark` when it is not an integer >= 1
 *
 * @example
 * ```ts
 * const incoming = createMessageStream<JsonMessage>();
 * const server = createServer({ protocol: createJsonProtocol(), handler: { onMessage: incoming.onMessage } });
 * server.once("close", () => incoming.end());
 * await server.listen(9000);
 * for await (const { conn, message } of incoming) conn.send(message); // echo
 * ```
 */
export function createMessageStream<M>(options: MessageStreamOptions = {}): MessageStream<M> {
  const highWaterMark = integerOption(
    "highWaterMark",
    options.highWaterMark,
    DEFAULT_STREAM_HIGH_WATER_MARK,
    1,
  );
  let queue: Array<IncomingMessage<M> | undefined> = [];
  let head = 0;
  let ended = false;
  let iterating = false;
  /** The loop waiting for a message. */
  let waiting: ((result: IteratorResult<IncomingMessage<M>>) => void) | undefined;
  /** onMessage calls holding their connection until the stream drains. */
  let held: Array<() => void> = [];
  const size = () => queue.length - head;

  const releaseHeld = (): void => {
    const release = held;
    held = [];
    for (const resume of release) resume();
  };

  const next = (): Promise<IteratorResult<IncomingMessage<M>>> => {
    if (head < queue.length) {
      const value = queue[head] as IncomingMessage<M>;
      queue[head++] = undefined;
      if (head === queue.length) {
        queue = [];
        head = 0;
      }
      if (held.length > 0 && size() * 2 <= highWaterMark) releaseHeld();
      return Promise.resolve({ value, done: false });
    }
    if (ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      waiting = resolve;
    });
  };

  const end = (): void => {
    if (ended) return;
    ended = true;
    releaseHeld();
    const loop = waiting;
    waiting = undefined;
    loop?.({ value: undefined, done: true });
  };

  return {
    onMessage(message: M, conn: Connection<M>): void | Promise<void> {
      if (ended) {
        throw new TaurusError("CONNECTION_CLOSED", "the message stream has ended");
      }
      const loop = waiting;
      if (loop) {
        waiting = undefined;
        loop({ value: { conn, message }, done: false });
        return;
      }
      queue.push({ conn, message });
      if (size() < highWaterMark) return;
      // Full: this connection is not read again until the loop catches up.
      return new Promise<void>((resume) => held.push(resume));
    },
    get buffered(): number {
      return size();
    },
    end,
    [Symbol.asyncIterator](): AsyncIterator<IncomingMessage<M>> {
      if (iterating) {
        throw new TaurusError("INVALID_OPTION", "a message stream has only one consumer");
      }
      iterating = true;
      return {
        next,
        return: (): Promise<IteratorResult<IncomingMessage<M>>> => {
          queue = [];
          head = 0;
          end();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
