// Test helper: records what reaches the process as an uncaught exception.

/** Runs `fn` with the process's `uncaughtException` listeners replaced by one that records. */
export async function catchingUncaught(fn: (errors: unknown[]) => Promise<void>): Promise<void> {
  const saved = process.listeners("uncaughtException");
  process.removeAllListeners("uncaughtException");
  const errors: unknown[] = [];
  process.on("uncaughtException", (error) => errors.push(error));
  try {
    await fn(errors);
  } finally {
    process.removeAllListeners("uncaughtException");
    for (const listener of saved) process.on("uncaughtException", listener);
  }
}
