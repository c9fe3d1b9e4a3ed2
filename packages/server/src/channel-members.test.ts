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

  it("publishes without a membership: to every member here, then forwarded, joining nothing", () => {
    const forwarded: string[] = [];
    const events: string[] = [];
    const members = new ChannelMembers("me", {
      forward: (channel, payload) => void forwarded.push(`${channel}:${Buffer.from(payload)}`),
      firstJoined: (c) => void events.push(`first ${c}`),
    });
    const got: string[] = [];
    members.join(
      "room#a",
      (payload, origin) => void got.push(`${Buffer.from(payload)} from ${origin}`),
    );
    members.publish("room#a", Buffer.from("hello"));
    members.publish("room#b", Buffer.from("nobody here"));
    expect(got).toEqual(["hello from me"]);
    expect(forwarded).toEqual(["room#a:hello", "room#b:nobody here"]);
    expect(members.has("room#b")).toBe(false);
    expect(events).toEqual(["first room#a"]);
  });
});
