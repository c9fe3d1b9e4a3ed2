// `pnpm start [-- chat-server flags]`: builds the chat server, the chat client and the
// taurus CLI (turbo, cached; its output is shown only when the build fails), then runs
// chat-server in the foreground. Ctrl+C stops the server gracefully and ends with its
// exit status (0), without an error from pnpm: the script line traps SIGINT in its
// shell, and the server runs in a process group of its own that receives exactly one
// SIGINT, from here.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// pnpm passes `pnpm start -- --help` on as `-- --help`.
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));

let interrupted = false;
let server;
const forward = (signal) => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill(signal);
};
process.on("SIGINT", () => {
  interrupted = true;
  forward("SIGINT");
});
process.on("SIGTERM", () => {
  interrupted = true;
  forward("SIGTERM");
});
process.on("exit", () => forward("SIGTERM"));

const build = spawn(
  "pnpm",
  [
    "exec",
    "turbo",
    "run",
    "build",
    "--filter=@taurus/chat-server...",
    "--filter=@taurus/chat-client...",
    "--filter=@taurus/cli...",
    "--output-logs=errors-only",
  ],
  { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
);
let log = "";
build.stdout.on("data", (c) => (log += c));
build.stderr.on("data", (c) => (log += c));
build.on("exit", (code) => {
  if (interrupted) process.exit(0);
  if (code !== 0) {
    process.stderr.write(`${log}\nstart: the build failed (exit ${code})\n`);
    process.exit(code ?? 1);
  }
  server = spawn(process.execPath, [join(root, "apps/chat-server/bin/chat-server.js"), ...args], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  server.on("exit", (status, signal) => process.exit(status ?? (signal === "SIGINT" ? 0 : 1)));
});
