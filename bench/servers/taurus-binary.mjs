import { createBinaryProtocol } from "@taurus/protocol-binary";
import { runTaurus } from "./taurus.mjs";

await runTaurus(createBinaryProtocol());
