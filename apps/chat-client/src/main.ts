#!/usr/bin/env node
// chat-client <host:port> <username> [--protocol json|binary] [--json]
import readline from "node:readline";
import { type Args, parseCliArgs, USAGE, UsageError } from "./args";
import { ChatSession } from "./chat";
import { binaryCodec, type ChatCodec, jsonCodec } from "./codec";
import { answersHeartbeat } from "./other-protocol";
import { printable } from "./sanitize";
import { languageOf, WORDS } from "./words";

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
  const clearLine = () => {
    if (!tty) return;
    readline.clearLine(process.stdout, 0);
    readline.cursorTo(process.stdout, 0);
  };
  let leaving = false;
  const screen = {
    show(line: string) {
      if (!line || leaving) return;
      clearLine(); // print above the prompt, keeping what the user has typed so far
      process.stdout.write(`${printable(line)}\n`);
      prompt(true);
    },
  };
  const session = open(args, screen, (code) => finish(code));
  const finish = (code: number) => {
    leaving = true;
    clearLine();
    rl.close();
    process.exit(code);
  };
  const leave = async () => {
    if (leaving) return;
    leaving = true;
    rl.pause();
    await session.leave();
    finish(0);
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
    finish(1);
  });
}

function open(
  args: Args,
  screen: { show(line: string): void },
  fatal: (code: number) => void,
): ChatSession<unknown> {
  const make = <M>(codec: ChatCodec<M>, other: ChatCodec<unknown>) =>
    new ChatSession<M>({
      args,
      codec,
      screen,
      fatal,
      json: args.json === true,
      words: WORDS[languageOf(process.env)],
      otherProtocolAnswers: () => answersHeartbeat(args.host, args.port, other),
    }) as unknown as ChatSession<unknown>;
  return args.protocol === "json"
    ? make(jsonCodec, binaryCodec as ChatCodec<unknown>)
    : make(binaryCodec, jsonCodec as ChatCodec<unknown>);
}

main();
