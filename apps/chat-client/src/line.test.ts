import { describe, expect, it } from "vitest";
import { readLine } from "./line";

describe("typed lines", () => {
  it("are user messages to the current room, or to one user with /msg", () => {
    expect(readLine("hello", "")).toEqual({ kind: "say", to: "", text: "hello" });
    expect(readLine("hello", "#dev")).toEqual({ kind: "say", to: "#dev", text: "hello" });
    expect(readLine("/msg bob lunch at noon?", "#dev")).toEqual({
      kind: "say",
      to: "bob",
      text: "lunch at noon?",
    });
    expect(readLine("/msg bob", "")).toEqual({ kind: "local", text: "usage: /msg <name> <text>" });
  });

  it("turn /join, /leave, /rooms and /who into commands and follow the current room", () => {
    expect(readLine("/join #dev", "")).toEqual({
      kind: "command",
      content: "/join #dev",
      room: "#dev",
    });
    // A bad room name goes to the server, which says why; the room does not change.
    expect(readLine("/join dev", "#ops")).toEqual({
      kind: "command",
      content: "/join dev",
      room: "#ops",
    });
    expect(readLine("/leave", "#dev")).toEqual({
      kind: "command",
      content: "/leave #dev",
      room: "",
    });
    expect(readLine("/leave #ops", "#dev")).toEqual({
      kind: "command",
      content: "/leave #ops",
      room: "#dev",
    });
    expect(readLine("/leave", "")).toEqual({ kind: "local", text: "you are in the main room" });
    expect(readLine(" /rooms ", "#dev")).toEqual({
      kind: "command",
      content: "/rooms",
      room: "#dev",
    });
    expect(readLine("/who #dev", "")).toEqual({ kind: "command", content: "/who #dev", room: "" });
  });
});
