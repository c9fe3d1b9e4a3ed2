import { EventEmitter } from "node:events";

/** What EventEmitter keeps its listeners in (`undefined` until the first one, as Node allows). */
interface EventTable {
  _events: Record<string, unknown> | undefined;
}

/**
 * Leaves `emitter` without an event table until its first listener: Node's
 * EventEmitter makes one in its constructor, and handles `undefined` (the
 * state of its own prototype) in every method. With {@link shapeEventTable},
 * an emitter that is never listened to (a connection its server serves) holds
 * nothing for events.
 *
 * @internal
 */
export function lazyEventTable(emitter: EventEmitter): void {
  (emitter as unknown as EventTable)._events = undefined;
}

/**
 * The listener-adding methods of EventEmitter, each patched: `once` and
 * `prependOnceListener` call `on` and `prependListener` in Node 20, which is
 * Node's detail, not a promise.
 */
const ADDERS = ["addListener", "on", "once", "prependListener", "prependOnceListener"] as const;
/** The listener-removing methods (`off` is `removeListener` under another name). */
const REMOVERS = ["removeListener", "off", "removeAllListeners"] as const;

/**
 * Makes the emitters of `prototype` (a subclass of EventEmitter) create their
 * event table on their first listener with a slot for each of `events` up
 * front, as Node's streams do: EventEmitter's own table is a dictionary
 * (about 250 bytes); an object of a fixed shape costs a fifth of that (other
 * events add their slots when listened to). When its last listener is
 * removed, the table goes (Node would replace it with a new dictionary).
 *
 * @internal
 */
export function shapeEventTable(prototype: EventEmitter, events: readonly string[]): void {
  const shaped = (): Record<string, unknown> => {
    const table: Record<string, unknown> = {};
    for (const name of events) table[name] = undefined;
    return table;
  };
  for (const name of ADDERS) {
    const add = EventEmitter.prototype[name] as (...args: unknown[]) => EventEmitter;
    Object.defineProperty(prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: EventEmitter & EventTable, ...args: unknown[]): EventEmitter {
        this._events ??= shaped();
        return add.apply(this, args);
      },
    });
  }
  for (const name of REMOVERS) {
    const remove = EventEmitter.prototype[name] as (...args: unknown[]) => EventEmitter;
    Object.defineProperty(prototype, name, {
      configurable: true,
      writable: true,
      value: function (
        this: EventEmitter & EventTable & { _eventsCount: number },
        ...args: unknown[]
      ): EventEmitter {
        remove.apply(this, args);
        if (this._eventsCount === 0) this._events = undefined;
        return this;
      },
    });
  }
}
