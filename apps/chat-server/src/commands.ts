// The chat's commands: a joined user's system message whose content starts with "/".
// Rooms are the server's rooms (`#name`); the default room is everyone, as for Go clients.
import { isTaurusError } from "@taurus/core-conn";

/** Room names in the chat: `#` and up to 63 more characters, no spaces or controls. */
const ROOM = /^#[^\s\p{C}]{1,63}$/u;

/** What a command may use: the sender, its server's rooms, both servers' view, replies. */
export interface CommandContext {
  /** The sender's bound name. */
  name: string;
  /** Puts the sender in `room` (its own server's rooms); throws what `Rooms.join` throws. */
  join(room: string): boolean;
  /** Takes the sender out of `room`. */
  leave(room: string): boolean;
  /** The rooms the sender is in. */
  mine(): string[];
  /** Every room with a member in this process, with its members' names. */
  rooms(): Map<string, string[]>;
  /** Every name bound in this process. */
  names(): string[];
  /** A system message to every member of `room`, everywhere. */
  announce(room: string, content: string): void;
}

const HELP = "commands: /join #room, /leave #room, /rooms, /who [#room], /msg <name> <text>";

/** Whether `to` names a room (a message with it goes to the room's members). */
export const isRoom = (to: string): boolean => to.startsWith("#");

/** Runs one command line; returns what to tell the sender (`error: ...` when it failed). */
export function runCommand(line: string, ctx: CommandContext): string | undefined {
  const [command = "", ...args] = line.trim().split(/\s+/);
  const room = args[0] ?? "";
  switch (command) {
    case "/join":
      if (!ROOM.test(room)) return "error: /join #room (a room is # and 1-63 characters)";
      try {
        if (!ctx.join(room)) return `you are in ${room} already`;
      } catch (err) {
        if (isTaurusError(err, "ROOM_LIMIT")) return "error: too many rooms: /leave one";
        if (isTaurusError(err, "INVALID_ROOM")) return `error: ${room} cannot be a room`;
        throw err;
      }
      ctx.announce(room, `${ctx.name} joined ${room}`);
      return undefined;
    case "/leave":
      if (!ROOM.test(room) || !ctx.leave(room)) {
        return `error: you are not in ${room || "a room of that name"}`;
      }
      ctx.announce(room, `${ctx.name} left ${room}`);
      return `you left ${room}`;
    case "/rooms": {
      const all = [...ctx.rooms()].map(([r, members]) => `${r} (${members.length})`);
      const mine = ctx.mine();
      return `rooms here: ${all.join(", ") || "none"}; yours: ${mine.join(", ") || "none (the main room only)"}`;
    }
    case "/who": {
      if (room === "") return `here: ${ctx.names().join(", ")}`;
      const members = ctx.rooms().get(room);
      return members ? `in ${room} here: ${members.join(", ")}` : `nobody here is in ${room}`;
    }
    default:
      return `error: unknown command ${command.slice(0, 32)}; ${HELP}`;
  }
}
