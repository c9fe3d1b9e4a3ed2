// The Taurus server with the binary protocol, reached over WebSocket (@taurus/transport-ws).
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { runTaurus } from "./taurus.mjs";

await runTaurus(createBinaryProtocol(), { websocket: true });
