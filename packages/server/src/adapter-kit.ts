/**
 * For authors of backplane adapters (a `BroadcastAdapter` over Redis, IPC, a
 * message bus...): the in-process half every adapter needs (`ChannelMembers`)
 * and instance ids. Imported as `@taurus/server/adapter`. Applications that
 * only pass an adapter to `createServer` need none of this.
 *
 * @module
 */

export type {
  AdapterStats,
  BackplaneListener,
  BackplaneMembership,
  BroadcastAdapter,
} from "./adapter";
export { createInstanceId } from "./adapter";
export type { ChannelMembersHooks } from "./channel-members";
export { ChannelMembers } from "./channel-members";
