// Test helpers: an in-process Io that records what a command prints.
import { PassThrough } from "node:stream";
import { until } from "@taurus/core-conn/testing";
import type { Io } from "./io";

export interface FakeIo {
  io: Io;
  out: string[];
  err: string[];
  stdin: PassThrough;
  /** Ctrl+C. */
  interrupt(): void;
  /** Resolves once a printed line (stdout or stderr) contains `text`. */
  waitFor(text: string, timeout?: number): Promise<void>;
}

export function fakeIo(): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new PassThrough();
  let interrupt: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => {
    interrupt = resolve;
  });
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    status: () => {},
    stdin,
    interrupted,
  };
  return {
    io,
    out,
    err,
    stdin,
    interrupt: () => interrupt(),
    async waitFor(text, timeout = 10_000) {
      const printed = () => [...out, ...err].some((l) => l.includes(text));
      await until(printed, { timeout, interval: 10 }).catch(() => {
        throw new Error(`no ${JSON.stringify(text)} in:\n${[...out, ...err].join("\n")}`);
      });
    },
  };
}
