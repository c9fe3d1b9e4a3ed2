import type { InboundLimiter } from "@taurus/core-conn";
import type { TokenBucket } from "@taurus/ratelimit";

/**
 * The inbound limiter of one server connection: its own message bucket
 * (under the "pause" policy), its address's shared message bucket, and its
 * bytes-per-second bucket. Consulted by the connection before each frame is
 * decoded; charged once the frame is.
 *
 * @internal
 */
export class FrameMeter implements InboundLimiter {
  constructor(
    private readonly messages: TokenBucket | undefined,
    private readonly address: TokenBucket | undefined,
    private readonly bytes: TokenBucket | undefined,
  ) {}

  delay(): number {
    let wait = 0;
    if (this.messages) wait = this.messages.delayUntilAvailable(1);
    if (this.address) wait = Math.max(wait, this.address.delayUntilAvailable(1));
    // The bytes bucket may be in debt after a large frame: wait until it is paid back.
    if (this.bytes) wait = Math.max(wait, this.bytes.delayUntilAvailable(0));
    return wait;
  }

  charge(bytes: number): void {
    this.messages?.charge(1);
    this.address?.charge(1);
    this.bytes?.charge(bytes);
  }
}
