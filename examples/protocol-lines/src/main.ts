#!/usr/bin/env node
// Starts the line chat room: PORT (default 7000) and HOST (default 127.0.0.1).
import { createLineServer } from "./server.js";

const port = Number(process.env.PORT ?? 7000);
const host = process.env.HOST ?? "127.0.0.1";
const server = createLineServer();
const address = await server.listen(port, host);
console.log(
  `line chat on ${address.address}:${address.port}: try  nc ${address.address} ${address.port}`,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
