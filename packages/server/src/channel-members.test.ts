import { describe, expect, it } from "vitest";
import { ChannelMembers } from "./channel-members";

describe("ChannelMembers", () => {
  it("has a channel from its first member's join to its last member's leave", () => {
    const events: string[] = [];
    const members = new ChannelMembers("me", {
      forward: () => undefined,
      firstJoined: (c) => void events.push(`first ${c}`),
      lastLeft: (c) => void events.push(`last ${c}`),
    });
    expect(members.has("room#a")).toBe(false);
    const one = members.join("room#a", () => undefined);
    const two = members.join("room#a", () => undefined);
    expect(members.has("room#a")).toBe(true);
    one.leave();
    expect(members.has("room#a")).toBe(true);
    two.leave();
    expect(members.has("room#a")).toBe(false);
    expect(events).toEqual(["first room#a", "last room#a"]);
  });
});
