import { createJsonProtocol } from "@taurus/protocol-json";
import { runTaurus } from "./taurus.mjs";

await runTaurus(createJsonProtocol());
