// Where a command reads and writes, so that tests can run commands in-process.
import type { Readable } from "node:stream";

export interface Io {
  /** Writes a line (without its newline) to standard output. */
  out(line: string): void;
  /** Writes a line (without its newline) to standard error. */
  err(line: string): void;
  /** Shows a transient status line on a terminal (overwritten by the next); `""` clears it. */
  status(text: string): void;
  /** Standard input, for commands that read lines. */
  stdin: Readable;
  /** Resolves on the first Ctrl+C (SIGINT) or SIGTERM. */
  interrupted: Promise<void>;
}

/** The process's own standard streams and signals. */
export function processIo(): Io {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write("\r\x1b[2K");
    shown = false;
  };
  return {
    out: (line) => {
      clear();
      process.stdout.write(`${line}\n`);
    },
    err: (line) => {
      clear();
      process.stderr.write(`${line}\n`);
    },
    status: (text) => {
      if (!tty) return;
      clear();
      if (text) {
        process.stderr.write(text);
        shown = true;
      }
    },
    stdin: process.stdin,
    interrupted: new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }),
  };
}
