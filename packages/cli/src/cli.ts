// taurus <command>: dispatch, help, and how failures end the process.
import type { Command } from "./command";
import { bench } from "./commands/bench";
import { connect } from "./commands/connect";
import { listen } from "./commands/listen";
import { probe } from "./commands/probe";
import { send } from "./commands/send";
import { Failure, UsageError } from "./errors";
import type { Io } from "./io";

export const COMMANDS: readonly Command[] = [connect, send, listen, probe, bench];

export const USAGE = `Usage: taurus <command> [options]

Talks to Taurus and taurus-pro-tcp (Go) peers over the JSON protocol, the binary
protocol, or any installed protocol package.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join("\n")}

Run taurus <command> --help for a command's options. Every command takes
--protocol json|binary|<package> and --json (output for scripts).
Exit status: 0 done, 1 failed (the reason is printed), 2 bad arguments.
`;

/** Runs `taurus argv...`; resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const about = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
    io.out(about ? about.usage : USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.out(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`taurus: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`taurus ${command.name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (err instanceof Failure) {
      io.err(`taurus ${command.name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0";
