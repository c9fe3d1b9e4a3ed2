import { ReplyError } from "ioredis";

/** @internal Whether `err` is an error reply from Redis (as opposed to a lost connection). */
export function isReplyError(err: unknown): boolean {
  return err instanceof (ReplyError as new (...args: unknown[]) => Error);
}
