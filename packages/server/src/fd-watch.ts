import fs from "node:fs";
import os from "node:os";
import { TaurusError } from "@taurus/core-conn";

/** Milliseconds between two checks that a file descriptor can still be opened. */
export const FD_CHECK_INTERVAL = 1000;

const exhausted = (code: string | undefined): boolean => code === "EMFILE" || code === "ENFILE";

/**
 * Watches for the process running out of file descriptors. An accept that
 * fails with `EMFILE`/`ENFILE` says so, but libuv often drops what it cannot
 * accept without telling; so, while the server listens, it also checks once
 * a second that it can open a descriptor. An episode is reported once (its
 * start), then its end.
 *
 * @internal
 */
export class FdWatch {
  private exhaustedNow = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onExhausted: (error: TaurusError) => void,
    private readonly onAvailable: () => void,
    private readonly onEachFailure: () => void,
  ) {}

  /** Starts the periodic check. */
  start(): void {
    this.timer ??= setInterval(this.check, FD_CHECK_INTERVAL);
    this.timer.unref();
  }

  /** Stops it. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** An accept error; returns `false` when it is not about descriptors. */
  acceptFailed(err: NodeJS.ErrnoException): boolean {
    if (!exhausted(err.code)) return false;
    this.failed(err);
    return true;
  }

  /** A connection was accepted: descriptors are available. */
  accepted(): void {
    if (!this.exhaustedNow) return;
    this.exhaustedNow = false;
    this.onAvailable();
  }

  private readonly check = (): void => {
    let fd: number;
    try {
      fd = fs.openSync(os.devNull, "r");
    } catch (err) {
      if (exhausted((err as NodeJS.ErrnoException).code)) this.failed(err as NodeJS.ErrnoException);
      return;
    }
    fs.closeSync(fd);
    this.accepted();
  };

  private failed(err: NodeJS.ErrnoException): void {
    this.onEachFailure();
    if (this.exhaustedNow) return;
    this.exhaustedNow = true;
    this.onExhausted(
      new TaurusError(
        "FD_EXHAUSTED",
        `out of file descriptors (${err.code}); new connections are dropped until some are free`,
        { cause: err },
      ),
    );
  }
}
