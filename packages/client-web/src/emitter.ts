/**
 * A minimal typed event emitter with no Node dependency.
 *
 * @typeParam E - the events: a name to the tuple of its arguments
 */
export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners = new Map<keyof E, Set<(...args: never[]) => void>>();

  /**
   * Calls `listener` on each `event`.
   *
   * @returns this
   */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as unknown as (...args: never[]) => void);
    return this;
  }

  /**
   * Stops calling `listener` on `event`.
   *
   * @returns this
   */
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    this.listeners.get(event)?.delete(listener as unknown as (...args: never[]) => void);
    return this;
  }

  /**
   * Calls `listener` on the next `event` only.
   *
   * @returns this
   */
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    const wrapped = (...args: E[K]): void => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  /** Calls the listeners of `event`; a listener that throws does not stop the others. @internal */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as (...a: E[K]) => void)(...args);
      } catch (err) {
        // A throwing listener must not break the client; surface it asynchronously.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
