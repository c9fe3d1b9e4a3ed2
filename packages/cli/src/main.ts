// The taurus command (bin/taurus.js loads this file).
import { run } from "./cli";
import { processIo } from "./io";

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
    // Stdin kept open by a command that no longer reads it must not hold the process.
    process.stdin.destroy();
  },
  (err: unknown) => {
    process.stderr.write(
      `taurus: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
    process.stdin.destroy();
  },
);
