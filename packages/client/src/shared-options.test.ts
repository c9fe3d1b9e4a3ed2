// The per-connection options shared by a bare Connection, the server and the client
// (SharedConnectionOptions of @taurus/core-conn): one check, the same error on every side.
import { Connection, isTaurusError, type TaurusError } from "@taurus/core-conn";
import { createSocketPair } from "@taurus/core-conn/testing";
import { createServer } from "@taurus/server";
import { describe, expect, it } from "vitest";
import { createClient } from "./client";
import { binary } from "./fixtures/harness";

function refusal(make: () => unknown): TaurusError {
  try {
    make();
  } catch (err) {
    if (isTaurusError(err)) return err;
    throw err;
  }
  throw new Error("accepted");
}

/** A bad value of each shared option, for every side (the protocol's limit is 16 MiB + header). */
const BAD: Array<[string, unknown]> = [
  ["maxMessageSize", 0],
  ["maxMessageSize", 2 ** 40],
  ["sendQueueSize", 0],
  ["sendQueueSize", 1.5],
  ["sendQueueBytes", -1],
  ["idleTimeout", -1],
  ["idleTimeout", 2 ** 31],
  ["handshakeTimeout", -1],
  ["handshakeTimeout", "10"],
];

describe("shared connection options", () => {
  it.each(BAD)(
    "%s = %s is INVALID_OPTION naming it, on a Connection, a server and a client",
    (name, value) => {
      const options = { [name]: value };
      const [socket, other] = createSocketPair();
      try {
        const sides = [
          refusal(() => new Connection(socket, binary, options)),
          refusal(() => createServer({ protocol: binary, handler: {}, ...options })),
          refusal(() => createClient({ address: "127.0.0.1:1", protocol: binary, ...options })),
        ];
        for (const error of sides) {
          expect(error).toMatchObject({ code: "INVALID_OPTION", option: name });
        }
      } finally {
        socket.destroy();
        other.destroy();
      }
    },
  );
});
