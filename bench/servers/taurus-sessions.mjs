// The Taurus echo server of the sessions scenario: `node taurus-sessions.mjs echo <json|binary> <on|off>`.
// "on" turns on issue 13's sessions, with no per-address bound: every client of the bench
// comes from 127.0.0.1 (the default of 64 sessions per address would refuse the idle
// scenario's clients, and the echo rounds' clients once earlier rounds' sessions wait away).
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol } from "@taurus/protocol-json";
import { runTaurus } from "./taurus.mjs";

const [, format, sessions] = process.argv.slice(2);
await runTaurus(
  format === "json" ? createJsonProtocol() : createBinaryProtocol(),
  {},
  sessions === "on"
    ? { sessions: { maxSessionsPerAddress: 1_000_000, maxSessions: 1_000_000 } }
    : {},
);
