// The shape of a subcommand, and what they share: the protocol option and the output.
import type { Address } from "./args";
import type { Io } from "./io";
import { describe, jsonSafe, type Kit } from "./kits";
import { loadKit } from "./load-protocol";

export interface Command {
  readonly name: string;
  /** One line for `taurus --help`. */
  readonly summary: string;
  /** The whole `--help` text. */
  readonly usage: string;
  /** Runs the command; resolves with the exit code. Throws UsageError (2) or Failure (1). */
  run(argv: string[], io: Io): Promise<number>;
}

export const PROTOCOL_HELP = `  -p, --protocol NAME  json, binary, or an installed protocol package (its
                       create...Protocol export; NAME#export picks one)
                       (default: binary for port 8081, json otherwise)`;

/** The protocol named by `--protocol`, or the chat server's for the port. */
export function kitFor(name: string | undefined, address: Address): Promise<Kit> {
  return loadKit(name ?? (address.port === 8081 ? "binary" : "json"));
}

/** Prints one event: a JSON line with `--json`, otherwise `human` (on stderr when `toErr`). */
export function emit(
  io: Io,
  json: boolean,
  event: Record<string, unknown>,
  human: string | undefined,
  toErr = true,
): void {
  if (json) io.out(JSON.stringify(event, jsonSafe));
  else if (human !== undefined) (toErr ? io.err : io.out)(human);
}

/** A received message as an event and as a line. */
export function showMessage(io: Io, json: boolean, kit: Kit, message: unknown, extra = {}): void {
  emit(
    io,
    json,
    { event: "message", ...extra, message: kit.view(message) },
    describe(kit, message),
    false,
  );
}
