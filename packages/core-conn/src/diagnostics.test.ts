import diagnostics from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import {
  CONNECTION_CHANNELS,
  type ConnectionCloseMessage,
  type ConnectionOpenMessage,
  type FrameDroppedMessage,
} from "./diagnostics";
import { TaurusError } from "./errors";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";

const tiny = createTinyProtocol(1024);
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

/** Subscribes to `name` for the test; returns what was published. */
function record<T>(name: string): T[] {
  const seen: T[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as T);
  };
  diagnostics.subscribe(name, listener);
  cleanup.push(() => diagnostics.unsubscribe(name, listener));
  return seen;
}

function pair(): { left: Connection<string>; right: Connection<string> } {
  const [a, b] = createSocketPair();
  const left = new Connection(a, tiny);
  const right = new Connection(b, tiny);
  cleanup.push(() => {
    left.destroy();
    right.destroy();
  });
  return { left, right };
}

describe("diagnostics channels of Connection", () => {
  it("publishes taurus:connection:open for each connection created", () => {
    const opened = record<ConnectionOpenMessage>(CONNECTION_CHANNELS.open);
    const { left, right } = pair();
    expect(CONNECTION_CHANNELS.open).toBe("taurus:connection:open");
    expect(opened.map((m) => m.connection)).toEqual([left, right]);
  });

  it("publishes taurus:connection:close once, with the error code as reason, or NORMAL", async () => {
    const closed = record<ConnectionCloseMessage>(CONNECTION_CHANNELS.close);
    const { left, right } = pair();
    const error = new TaurusError("IDLE_TIMEOUT", "test");
    left.destroy(error);
    left.destroy();
    await right.close();
    expect(CONNECTION_CHANNELS.close).toBe("taurus:connection:close");
    expect(closed).toHaveLength(2);
    expect(closed[0]).toEqual({ connection: left, error, reason: "IDLE_TIMEOUT" });
    expect(closed[1]).toEqual({ connection: right, error: undefined, reason: "NORMAL" });
  });

  it("publishes taurus:connection:frame-dropped with the reason, code and size", async () => {
    const drops = record<FrameDroppedMessage>(CONNECTION_CHANNELS.frameDropped);
    const { left, right } = pair();
    const got = new Promise<string>((resolve) => right.once("message", resolve));
    // Three bytes without the magic, then a good frame: one drop, then the message.
    left.socket.write(Buffer.from([1, 2, 3]));
    left.send("ok");
    expect(await got).toBe("ok");
    expect(CONNECTION_CHANNELS.frameDropped).toBe("taurus:connection:frame-dropped");
    expect(drops).toEqual([
      { connection: right, reason: "invalid_format", code: "INVALID_FORMAT", bytes: 3 },
    ]);
  });

  it("builds nothing when nobody subscribes", () => {
    expect(diagnostics.channel(CONNECTION_CHANNELS.open).hasSubscribers).toBe(false);
    const { left } = pair();
    expect(left.state).toBe("open");
  });
});
