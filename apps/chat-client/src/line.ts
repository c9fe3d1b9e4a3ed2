// What a typed line means: a user message (to the current room, or to one user with
// /msg), a command for the server (/join, /leave, /rooms, /who), or a local answer.

/** What to do with one typed line. */
export type Line =
  /** A user message (type 2) to `to`: "" the main room, "#room", or a user's name. */
  | { kind: "say"; to: string; text: string }
  /** A command (type 1) for the server; `room` is the current room afterwards. */
  | { kind: "command"; content: string; room: string }
  /** Nothing to send: show `text`. */
  | { kind: "local"; text: string };

/** Reads `line`, typed while the current room is `room` ("" for the main room). */
export function readLine(line: string, room: string): Line {
  if (line.startsWith("/msg")) {
    const m = /^\/msg\s+(\S+)\s+(.+)$/s.exec(line);
    return m
      ? { kind: "say", to: m[1] as string, text: m[2] as string }
      : { kind: "local", text: "usage: /msg <name> <text>" };
  }
  const [command, target] = line.trim().split(/\s+/);
  if (command === "/leave") {
    const left = target ?? room;
    if (left === "") return { kind: "local", text: "you are in the main room" };
    return { kind: "command", content: `/leave ${left}`, room: left === room ? "" : room };
  }
  if (command === "/join") {
    return { kind: "command", content: line.trim(), room: target?.startsWith("#") ? target : room };
  }
  if (command === "/rooms" || command === "/who") {
    return { kind: "command", content: line.trim(), room };
  }
  return { kind: "say", to: room, text: line };
}
