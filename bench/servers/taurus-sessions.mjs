// The Taurus echo server of the sessions scenario: `node taurus-sessions.mjs echo <json|binary> <on|off>`.
// "on" passes `sessions: true` to createServer (issue 13's option).
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol } from "@taurus/protocol-json";
import { runTaurus } from "./taurus.mjs";

const [, format, sessions] = process.argv.slice(2);
await runTaurus(
  format === "json" ? createJsonProtocol() : createBinaryProtocol(),
  {},
  sessions === "on" ? { sessions: true } : {},
);
