#!/usr/bin/env node
// chat-client <host:port> <username> [--protocol json|binary]
import readline from "node:readline";
import { parseCliArgs, USAGE, UsageError } from "./args";
import { ChatSession } from "./chat";
import { binaryCodec, jsonCodec } from "./codec";

function main(): void {
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`chat-client: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args === "help") {
    process.stdout.write(USAGE);
    return;
  }

  const tty = process.stdout.isTTY === true;
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: "> ",
    terminal: tty,
  });
  const prompt = (keepInput = false) => {
    if (tty) rl.prompt(keepInput);
  };
  const screen = {
    show(line: string) {
      if (!line) return;
      if (tty) {
        // Print above the prompt, keeping what the user has typed so far.
        readline.clearLine(process.stdout, 0);
        readline.cursorTo(process.stdout, 0);
      }
      process.stdout.write(`${line}\n`);
      prompt(true);
    },
  };
  const session =
    args.protocol === "json"
      ? new ChatSession(args, jsonCodec, screen)
      : new ChatSession(args, binaryCodec, screen);
  let leaving = false;
  const leave = async () => {
    if (leaving) return;
    leaving = true;
    rl.pause();
    await session.leave();
    rl.close();
    process.exit(0);
  };

  rl.on("line", (line) => {
    const text = line.replace(/\r$/, "");
    if (text.trim() === "quit") {
      void leave();
      return;
    }
    session.say(text);
    prompt();
  });
  rl.on("close", () => void leave()); // Ctrl+D, or the end of piped input
  rl.on("SIGINT", () => void leave()); // Ctrl+C on a terminal
  process.once("SIGINT", () => void leave());
  process.once("SIGTERM", () => void leave());

  prompt();
  session.start().catch((err: unknown) => {
    screen.show(`*** could not connect: ${String(err)} ***`);
    process.exitCode = 1;
  });
}

main();
