import type { BackplaneListener, BackplaneMembership } from "./adapter";

/** Hooks of {@link ChannelMembers}: how an adapter learns what to forward and to subscribe. */
export interface ChannelMembersHooks {
  /** A member published `payload` on `channel`: forward it to the other instances. */
  forward(channel: string, payload: Uint8Array): void;
  /** The first member joined `channel`: subscribe to it. @defaultValue nothing */
  firstJoined?(channel: string): void;
  /** The last member left `channel`: unsubscribe. @defaultValue nothing */
  lastLeft?(channel: string): void;
  /** A listener threw; it was skipped and the others still got the message. @defaultValue ignored */
  listenerFailed?(error: unknown): void;
}

/**
 * The in-process half of a {@link BroadcastAdapter}, for adapter authors: it
 * keeps each channel's local members, delivers a member's publication to the
 * other local members, hands it to `forward` for the other instances, and
 * delivers what came from other instances to every local member.
 *
 * @example
 * ```ts
 * const members = new ChannelMembers("a1b2", { forward: (channel, payload) => bus.send(channel, payload) });
 * bus.on("message", (channel, payload, origin) => members.deliver(channel, payload, origin));
 * ```
 */
export class ChannelMembers {
  private readonly channels = new Map<string, Set<BackplaneListener>>();
  /** Distinct promises of members that asked for time: a member returns the same one while it waits, so this stays small. */
  private readonly waits = new Set<Promise<void>>();

  /**
   * @param instanceId - the id given as `origin` to local members
   * @param hooks - see {@link ChannelMembersHooks}
   */
  constructor(
    private readonly instanceId: string,
    private readonly hooks: ChannelMembersHooks,
  ) {}

  /**
   * Adds a member to a channel.
   *
   * @returns its membership: `publish` reaches the other local members, then `forward`
   */
  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    let members = this.channels.get(channel);
    if (!members) {
      members = new Set();
      this.channels.set(channel, members);
      this.hooks.firstJoined?.(channel);
    }
    const self = members;
    // Each membership is its own listener entry, so one listener may join twice.
    const entry: BackplaneListener = (payload, origin) => listener(payload, origin);
    self.add(entry);
    let left = false;
    return {
      publish: (payload) => {
        if (left) return;
        for (const other of self) if (other !== entry) this.call(other, payload, this.instanceId);
        this.hooks.forward(channel, payload);
      },
      leave: () => {
        if (left) return;
        left = true;
        self.delete(entry);
        if (self.size === 0 && this.channels.get(channel) === self) {
          this.channels.delete(channel);
          this.hooks.lastLeft?.(channel);
        }
      },
    };
  }

  /**
   * Publishes `payload` on `channel` without a membership: every local member gets it,
   * then `forward` hands it to the other instances.
   */
  publish(channel: string, payload: Uint8Array): void {
    for (const member of this.channels.get(channel) ?? [])
      this.call(member, payload, this.instanceId);
    this.hooks.forward(channel, payload);
  }

  /** Whether `channel` has a member here. */
  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  /**
   * Delivers a payload from another instance to every local member of the channel.
   *
   * @returns how many members got it (0 when nobody here joined the channel)
   */
  deliver(channel: string, payload: Uint8Array, origin: string): number {
    const members = this.channels.get(channel);
    if (!members) return 0;
    for (const member of members) this.call(member, payload, origin, true);
    return members.size;
  }

  /** The channels with at least one local member. */
  names(): string[] {
    return [...this.channels.keys()];
  }

  /** Removes every member of every channel (without calling `lastLeft`). */
  clear(): void {
    this.channels.clear();
  }

  /** Whether a member asked for time since the last {@link ChannelMembers.ready}. */
  get waiting(): boolean {
    return this.waits.size > 0;
  }

  /**
   * Resolves once every member that asked for time (returned a promise from a
   * delivery since the last call) can take more: what an adapter reading at
   * its own pace awaits between batches. Resolves at once when none asked.
   *
   * @returns a promise that never rejects
   */
  ready(): Promise<void> {
    if (this.waits.size === 0) return Promise.resolve();
    const waits = [...this.waits];
    this.waits.clear();
    return Promise.all(waits).then(noop, noop);
  }

  private call(
    listener: BackplaneListener,
    payload: Uint8Array,
    origin: string,
    keep = false,
  ): void {
    try {
      const wait = listener(payload, origin);
      // Kept only for deliveries from other instances, which an adapter paces with ready().
      if (keep && wait instanceof Promise) this.waits.add(wait);
    } catch (err) {
      this.hooks.listenerFailed?.(err);
    }
  }
}

function noop(): void {}
