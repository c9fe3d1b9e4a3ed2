import type { Connection } from "@taurus/core-conn";

/**
 * Longest a server asks its backplane to wait for connections to drain when
 * they have no write timeout of their own (5 s): a peer that never reads
 * never holds a durable backplane up for longer.
 */
export const MAX_BACKPLANE_PACE = 5000;

/**
 * Resolves once every connection given has drained (its send queue fell back
 * under half of its bounds) or closed, or after `limit` ms, whichever comes
 * first. Never rejects.
 *
 * @internal
 */
export function drained<M>(conns: readonly Connection<M>[], limit: number): Promise<void> {
  return new Promise((resolve) => {
    let left = conns.length;
    const cleanups: Array<() => void> = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      resolve();
    };
    const timer = setTimeout(done, limit);
    timer.unref();
    for (const conn of conns) {
      const one = (): void => {
        conn.off("drain", one);
        conn.off("close", one);
        if (--left === 0) done();
      };
      conn.on("drain", one);
      conn.on("close", one);
      cleanups.push(() => {
        conn.off("drain", one);
        conn.off("close", one);
      });
    }
  });
}
