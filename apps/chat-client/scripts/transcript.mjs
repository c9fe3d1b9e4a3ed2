// Drives a built chat-server and three real chat-client processes (alice on JSON, bob on
// binary, carol on JSON) through rooms and private messages, and prints what each saw.
// The transcript in docs/guides/chat.md comes from it: pnpm --filter @taurus/chat-client transcript
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const server = spawn(
  process.execPath,
  [
    `${root}/apps/chat-server/dist/main.js`,
    "--host",
    "127.0.0.1",
    "--json-port",
    "0",
    "--binary-port",
    "0",
    "--metrics-port",
    "0",
    "--log-format",
    "json",
    "--notice-interval",
    "0",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
const ports = await new Promise((resolve) => {
  let buf = "";
  server.stderr.on("data", (c) => {
    buf += c;
    for (const line of buf.split("\n")) {
      try {
        const e = JSON.parse(line);
        if (e.msg === "listening") resolve(e);
      } catch {}
    }
  });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clients = {};
const out = {};
function client(name, port, protocol) {
  const p = spawn(
    process.execPath,
    [`${root}/apps/chat-client/dist/main.js`, `127.0.0.1:${port}`, name, "--protocol", protocol],
    { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LANG: "en_US.UTF-8" } },
  );
  out[name] = "";
  p.stdout.on("data", (c) => (out[name] += c));
  clients[name] = p;
}
const type = async (name, line) => {
  out[name] += `> ${line}\n`;
  clients[name].stdin.write(`${line}\n`);
  await sleep(300);
};
client("alice", ports.json, "json");
await sleep(600);
client("bob", ports.binary, "binary");
await sleep(600);
client("carol", ports.json, "json");
await sleep(600);
await type("alice", "hello everyone");
await type("alice", "/join #dev");
await type("bob", "/join #dev");
await type("bob", "the build is green");
await type("carol", "/rooms");
await type("carol", "/who #dev");
await type("carol", "/msg bob lunch?");
await type("bob", "/msg carol yes, at noon");
await type("alice", "/leave");
await type("alice", "back in the main room");
for (const n of ["alice", "bob", "carol"]) clients[n].stdin.end("quit\n");
await sleep(800);
server.kill("SIGTERM");
for (const n of ["alice", "bob", "carol"]) console.log(`--- ${n}\n${out[n]}`);
