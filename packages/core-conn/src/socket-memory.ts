// What a connection leaves on a net.Socket, kept small: one `end` listener, and
// no cached copy of the peer's address (issue 18: idle memory per connection).
import { Socket } from "node:net";
import type { ConnectionSocket } from "./connection-types";

type Listener = (this: ConnectionSocket) => void;

/** Node's own `end` listener of every `net.Socket`, read off a socket that never connects. */
let nodeEnd: Listener | null | undefined;

function nodeEndListener(): Listener | null {
  if (nodeEnd === undefined) {
    const listeners = new Socket().listeners("end");
    nodeEnd = listeners.length === 1 ? (listeners[0] as Listener) : null;
  }
  return nodeEnd;
}

const combined = new Map<Listener, Listener>();

/**
 * Listens for the socket's `end` with `listener`, a function shared by every socket.
 *
 * A `net.Socket` comes with Node's own `end` listener: a second one turns the
 * socket's slot into an array (64 bytes on every idle connection). When Node's is
 * the only one, it is replaced by one shared function that calls it and then
 * `listener`, in the order two listeners would run; otherwise (another kind of
 * stream, listeners added before) `listener` is simply added.
 *
 * @internal
 */
export function onSocketEnd(socket: ConnectionSocket, listener: Listener): void {
  const node = nodeEndListener();
  // Counted, not listed: `listeners()` would copy the array on every connection.
  if (
    node === null ||
    socket.listenerCount("end") !== 1 ||
    socket.listenerCount("end", node) !== 1
  ) {
    socket.on("end", listener);
    return;
  }
  let both = combined.get(listener);
  if (both === undefined) {
    both = function (this: ConnectionSocket): void {
      node.call(this);
      listener.call(this);
    };
    combined.set(listener, both);
  }
  socket.removeListener("end", node);
  socket.on("end", both);
}

/** How many distinct peer addresses {@link keepPeerAddress} remembers before it starts over. */
export const KEPT_ADDRESSES_MAX = 1024;

/** Peer addresses kept lately, each its own key: connections from one peer share one string. */
const keptAddresses = new Map<string, string>();

/**
 * The socket's peer address, read once for the connection to keep. Reading it
 * makes a `net.Socket` cache an object with the address, family and port (about
 * 90 bytes with its string, on every connection); the connection keeps the
 * address string alone, and the socket's cache is emptied (`socket.remoteAddress`
 * still answers while the socket is open: Node reads it again).
 *
 * Node makes a new string for every socket: the one returned is the string an
 * earlier connection from the same address got (about 32 bytes less on each
 * connection behind a proxy, a NAT or a load balancer). The strings remembered
 * for this are bounded: at {@link KEPT_ADDRESSES_MAX} distinct addresses the
 * memory starts over, so it holds at most that many short strings.
 *
 * @internal
 */
export function keepPeerAddress(socket: ConnectionSocket): string | undefined {
  const address = socket.remoteAddress;
  const cached = socket as { _peername?: unknown };
  if (cached._peername !== undefined) cached._peername = undefined;
  if (address === undefined) return undefined;
  const kept = keptAddresses.get(address);
  if (kept !== undefined) return kept;
  if (keptAddresses.size >= KEPT_ADDRESSES_MAX) keptAddresses.clear();
  keptAddresses.set(address, address);
  return address;
}

/** How many addresses {@link keepPeerAddress} remembers now (for tests). @internal */
export function keptAddressCount(): number {
  return keptAddresses.size;
}
