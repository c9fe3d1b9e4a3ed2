// Named groups of connections. A connection joins and leaves rooms; a broadcast to a room is
// encoded once for the room's local members and, with a backplane, published once on the
// room's own channel, which this server joins while it has members in the room (and leaves
// with the last), so an instance gets only the traffic of rooms it has members in.
import { type Connection, TaurusError } from "@taurus/core-conn";
import { integerOption } from "@taurus/core-conn/internal";
import type { BackplaneMembership, BroadcastAdapter } from "./adapter";

/** Default most rooms one connection can be in: 32. */
export const DEFAULT_MAX_ROOMS_PER_CONNECTION = 32;
/** Default longest room name, in UTF-8 bytes: 128. */
export const DEFAULT_MAX_ROOM_NAME_LENGTH = 128;

/** The `rooms` option of a server: limits on room membership. */
export interface RoomOptions {
  /** Most rooms one connection can be in. @defaultValue {@link DEFAULT_MAX_ROOMS_PER_CONNECTION} (32) */
  maxPerConnection?: number;
  /** Longest room name, in UTF-8 bytes. @defaultValue {@link DEFAULT_MAX_ROOM_NAME_LENGTH} (128) */
  maxNameLength?: number;
}

/** Options of {@link Rooms.broadcast}. */
export interface RoomBroadcastOptions<M> {
  /** A member (or its id) that does not get the message, typically the sender. */
  except?: Connection<M> | string;
  /** `true`: only this server's members, not published on the backplane. @defaultValue `false` */
  local?: boolean;
}

/** What {@link Rooms.broadcast} did here. */
export interface RoomBroadcastResult {
  /** Members the frame was queued on. */
  sent: number;
  /** Members whose send queue was full (each also reported to `onError`). */
  failed: number;
}

/**
 * What a server lends its rooms: its encoder, its backplane and its error reporting.
 *
 * @internal
 */
export interface RoomHost<M> {
  /** The frame of `message` in the server's protocol; throws what the encoder throws. */
  encode(message: M): Uint8Array;
  /** `message` as the backplane's neutral bytes; throws `INVALID_MESSAGE`. */
  toNeutral(message: M): Uint8Array;
  /** Neutral bytes from the backplane as a frame; `undefined` (reported) when they do not decode. */
  fromNeutral(payload: Uint8Array): Uint8Array | undefined;
  /** Reports an error to the server's `onError`. */
  report(error: TaurusError, conn: Connection<M> | undefined): void;
  /** The backplane, when the server has one: rooms use `<channel>#<room>` on it. */
  backplane?: { adapter: BroadcastAdapter; channel: string };
  /**
   * Whether `conn`, closed, still stands for a session whose client is away:
   * it stays in its rooms, and what is sent to it waits in the session.
   */
  isAway?(conn: Connection<M>): boolean;
  /**
   * A room broadcast could not queue its frame on `conn` (`error`; with
   * `SEND_QUEUE_FULL`, a full queue or session buffer): a session client is
   * told it lost messages, never left with a silent gap.
   */
  fanOutRefused?(conn: Connection<M>, error: TaurusError): void;
}

interface Room<M> {
  readonly members: Map<string, Connection<M>>;
  membership: BackplaneMembership | undefined;
}

const CONTROL = /\p{C}/u;

/**
 * The rooms of one server: `server.rooms`. Membership is per connection and ends when the
 * connection closes; with sessions, when its session ends (a resumed session keeps its
 * rooms, and room broadcasts wait in the session while its client is away). Rooms of the same name on servers that share a backplane (the other
 * protocol's server in this process, other instances) are one room: a broadcast to it
 * reaches the members of all of them.
 *
 * @typeParam M - the server's message type
 */
export class Rooms<M> {
  private readonly rooms = new Map<string, Room<M>>();
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly maxPerConnection: number;
  private readonly maxNameLength: number;
  private closed = false;

  /**
   * @param host - the server's side (see {@link RoomHost})
   * @param options - limits; see {@link RoomOptions}
   * @throws `TaurusError` `INVALID_OPTION` (naming `rooms.maxPerConnection` or
   *   `rooms.maxNameLength`) for a limit that is not an integer of at least 1
   * @internal
   */
  constructor(
    private readonly host: RoomHost<M>,
    options: RoomOptions = {},
  ) {
    this.maxPerConnection = integerOption(
      "rooms.maxPerConnection",
      options.maxPerConnection,
      DEFAULT_MAX_ROOMS_PER_CONNECTION,
      1,
    );
    this.maxNameLength = integerOption(
      "rooms.maxNameLength",
      options.maxNameLength,
      DEFAULT_MAX_ROOM_NAME_LENGTH,
      1,
    );
  }

  /**
   * Puts `conn` in `room`; joining a room it is already in does nothing.
   *
   * @returns `true` when it joined, `false` when it was already a member
   * @throws `TaurusError` `INVALID_ROOM` for an empty name, one longer than
   *   `rooms.maxNameLength` bytes, or one with control characters;
   *   `ROOM_LIMIT` when `conn` is in `rooms.maxPerConnection` rooms already;
   *   `CONNECTION_CLOSED` when `conn` is not open or the server is closing
   */
  join(conn: Connection<M>, room: string): boolean {
    this.checkName(room);
    if (this.closed || conn.state !== "open") {
      throw new TaurusError("CONNECTION_CLOSED", "cannot join a room: the connection is closed");
    }
    const mine = this.byConnection.get(conn.id) ?? new Set<string>();
    if (mine.has(room)) return false;
    if (mine.size >= this.maxPerConnection) {
      throw new TaurusError(
        "ROOM_LIMIT",
        `a connection can be in at most ${this.maxPerConnection} rooms (rooms.maxPerConnection)`,
      );
    }
    let entry = this.rooms.get(room);
    if (entry === undefined) {
      entry = { members: new Map(), membership: undefined };
      this.rooms.set(room, entry);
      const backplane = this.host.backplane;
      if (backplane !== undefined) {
        const here = entry;
        entry.membership = backplane.adapter.join(`${backplane.channel}#${room}`, (payload) => {
          const frame = this.host.fromNeutral(payload);
          if (frame !== undefined) this.fanOut(here, frame, undefined);
        });
      }
    }
    entry.members.set(conn.id, conn);
    mine.add(room);
    this.byConnection.set(conn.id, mine);
    return true;
  }

  /**
   * Takes `conn` out of `room`; the last member out leaves the room's backplane channel.
   *
   * @returns `true` when it was a member
   */
  leave(conn: Connection<M> | string, room: string): boolean {
    const id = typeof conn === "string" ? conn : conn.id;
    const mine = this.byConnection.get(id);
    if (mine === undefined || !mine.delete(room)) return false;
    if (mine.size === 0) this.byConnection.delete(id);
    const entry = this.rooms.get(room);
    if (entry !== undefined) {
      entry.members.delete(id);
      if (entry.members.size === 0) {
        entry.membership?.leave();
        this.rooms.delete(room);
      }
    }
    return true;
  }

  /** The rooms `conn` is in, in the order it joined them. */
  of(conn: Connection<M> | string): string[] {
    return [...(this.byConnection.get(typeof conn === "string" ? conn : conn.id) ?? [])];
  }

  /** This server's members of `room` (members on other servers are not listed). */
  members(room: string): Connection<M>[] {
    return [...(this.rooms.get(room)?.members.values() ?? [])];
  }

  /** The rooms with a member on this server. */
  list(): string[] {
    return [...this.rooms.keys()];
  }

  /**
   * Sends `message` to every member of `room`: encoded once for this server's members and,
   * with a backplane, published once on the room's channel (unless `local`) for the
   * members elsewhere. A full send queue is handled by the slow-consumer policy and
   * reported to `onError`. A room without members here is still published.
   *
   * @returns how many of this server's members got it, and how many did not
   * @throws `TaurusError` `INVALID_ROOM` for a name a room cannot have; `INVALID_MESSAGE`
   *   or `MESSAGE_TOO_LARGE` from the encoder (or `INVALID_MESSAGE` from the backplane
   *   codec), before any send
   */
  broadcast(room: string, message: M, options: RoomBroadcastOptions<M> = {}): RoomBroadcastResult {
    this.checkName(room);
    const frame = this.host.encode(message);
    const backplane = this.host.backplane;
    const neutral =
      backplane !== undefined && !options.local ? this.host.toNeutral(message) : undefined;
    const entry = this.rooms.get(room);
    const except = typeof options.except === "string" ? options.except : options.except?.id;
    const result = entry ? this.fanOut(entry, frame, except) : { sent: 0, failed: 0 };
    if (neutral !== undefined && backplane !== undefined) {
      const channel = `${backplane.channel}#${room}`;
      if (entry?.membership) entry.membership.publish(neutral);
      else if (backplane.adapter.publish) backplane.adapter.publish(channel, neutral);
      else {
        // No member here and an adapter that cannot publish alone: a membership held just
        // for this message.
        const once = backplane.adapter.join(channel, () => undefined);
        once.publish(neutral);
        once.leave();
      }
    }
    return result;
  }

  /**
   * A connection closed: it leaves every room.
   *
   * @internal
   */
  forget(conn: Connection<M>): void {
    for (const room of this.of(conn)) this.leave(conn, room);
  }

  /**
   * A session resumed on a new connection: `to` takes the rooms of `from`.
   *
   * @internal
   */
  transfer(from: Connection<M>, to: Connection<M>): void {
    const mine = this.byConnection.get(from.id);
    if (mine === undefined) return;
    this.byConnection.delete(from.id);
    const theirs = this.byConnection.get(to.id) ?? new Set<string>();
    for (const room of mine) {
      const entry = this.rooms.get(room);
      if (entry === undefined) continue;
      entry.members.delete(from.id);
      entry.members.set(to.id, to);
      theirs.add(room);
    }
    this.byConnection.set(to.id, theirs);
  }

  /**
   * The server is closing: every room's backplane channel is left; joins are refused.
   *
   * @internal
   */
  close(): void {
    this.closed = true;
    for (const entry of this.rooms.values()) {
      entry.membership?.leave();
      entry.membership = undefined;
    }
  }

  private fanOut(entry: Room<M>, frame: Uint8Array, except: string | undefined) {
    const result: RoomBroadcastResult = { sent: 0, failed: 0 };
    for (const conn of entry.members.values()) {
      if (conn.id === except) continue;
      if (conn.state !== "open" && this.host.isAway?.(conn) !== true) continue;
      try {
        conn.sendEncoded(frame);
        result.sent++;
      } catch (err) {
        result.failed++;
        this.host.fanOutRefused?.(conn, err as TaurusError);
        this.host.report(err as TaurusError, conn);
      }
    }
    return result;
  }

  private checkName(room: string): void {
    if (typeof room !== "string" || room.length === 0) {
      throw new TaurusError("INVALID_ROOM", "a room name is a non-empty string");
    }
    if (Buffer.byteLength(room) > this.maxNameLength) {
      throw new TaurusError(
        "INVALID_ROOM",
        `a room name has at most ${this.maxNameLength} bytes (rooms.maxNameLength)`,
      );
    }
    if (CONTROL.test(room)) {
      throw new TaurusError("INVALID_ROOM", "a room name has no control characters");
    }
  }
}
