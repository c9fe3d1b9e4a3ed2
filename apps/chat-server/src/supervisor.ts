// The primary's worker slots: forks a worker per slot, restarts one that dies with
// exponential backoff and jitter, and gives up (once) when a slot crashes in a loop.
import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config";
import type { Logger } from "./logger";
import { RestartPolicy } from "./restart-policy";
import type { FailedNotice, ListeningNotice, SnapshotReply } from "./worker";

/** Why the supervisor gave up. */
export interface GiveUp {
  slot: number;
  crashes: number;
  windowMs: number;
  /** The last failure a worker of that slot reported, if it said one. */
  lastError?: string;
  /** The setting to change, when the failure named one. */
  flag?: string;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  listening: boolean;
  listenedOnce: boolean;
  policy: RestartPolicy;
  timer: NodeJS.Timeout | undefined;
  lastFailure: FailedNotice | undefined;
}

export class Supervisor {
  /** Workers started again after a crash. */
  restarts = 0;
  /** Resolves (with the first worker's ports) once every slot has listened once. */
  readonly started: Promise<ListeningNotice>;
  /** Resolves when a slot crashed in a loop; the supervisor has stopped restarting. */
  readonly gaveUp: Promise<GiveUp>;
  private readonly slots: Slot[];
  private stopping = false;
  private first: ListeningNotice | undefined;
  private resolveStarted: (notice: ListeningNotice) => void = () => {};
  private resolveGaveUp: (info: GiveUp) => void = () => {};

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly hooks: {
      /** A worker was forked (to relay its backplane). */
      forked(worker: Worker): void;
      /** A worker answered a snapshot request. */
      snapshot(reply: SnapshotReply): void;
    },
  ) {
    this.started = new Promise((resolve) => {
      this.resolveStarted = resolve;
    });
    this.gaveUp = new Promise((resolve) => {
      this.resolveGaveUp = resolve;
    });
    this.slots = Array.from({ length: config.workers }, (_, index) => ({
      index,
      worker: undefined,
      listening: false,
      listenedOnce: false,
      timer: undefined,
      lastFailure: undefined,
      policy: new RestartPolicy({
        initialDelay: config.restartDelay,
        maxDelay: config.restartMaxDelay,
        limit: config.crashLimit,
        window: config.crashWindow,
      }),
    }));
  }

  start(): void {
    for (const slot of this.slots) this.fork(slot);
  }

  /** Workers listening now. */
  get listening(): number {
    return this.slots.filter((s) => s.listening).length;
  }

  /** Live workers listening now. */
  workers(): Worker[] {
    return this.slots.flatMap((s) => (s.listening && s.worker ? [s.worker] : []));
  }

  /** Stops restarting, SIGTERMs every worker (each shuts down gracefully), resolves when all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) clearTimeout(slot.timer);
    await Promise.all(
      this.slots.map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (!worker || worker.isDead()) return resolve();
            worker.once("exit", () => resolve());
            worker.process.kill("SIGTERM");
          }),
      ),
    );
  }

  private fork(slot: Slot): void {
    slot.timer = undefined;
    if (this.stopping) return;
    const worker = cluster.fork();
    slot.worker = worker;
    this.hooks.forked(worker);
    // A send to a worker that is exiting fails with EPIPE: the exit handler deals with it.
    worker.on("error", (err) => this.log.debug("worker channel error", { error: String(err) }));
    worker.on("message", (m: ListeningNotice | SnapshotReply | FailedNotice) => {
      if (m?.t === "listening") this.listened(slot, m);
      else if (m?.t === "snapshot") this.hooks.snapshot(m);
      else if (m?.t === "failed") slot.lastFailure = m;
    });
    worker.once("exit", (code, signal) => this.exited(slot, worker, code, signal));
  }

  private listened(slot: Slot, notice: ListeningNotice): void {
    slot.listening = true;
    slot.listenedOnce = true;
    slot.lastFailure = undefined;
    this.first ??= notice;
    if (this.slots.every((s) => s.listenedOnce)) this.resolveStarted(this.first);
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker === worker) {
      slot.worker = undefined;
      slot.listening = false;
    }
    if (this.stopping) return;
    const delay = slot.policy.crashed(Date.now());
    const failure = slot.lastFailure;
    if (delay === undefined) {
      this.stopping = true;
      for (const s of this.slots) clearTimeout(s.timer);
      this.resolveGaveUp({
        slot: slot.index,
        crashes: slot.policy.recent,
        windowMs: this.config.crashWindow,
        lastError: failure?.error,
        flag: failure?.flag,
      });
      return;
    }
    this.restarts++;
    this.log.warn("worker exited; starting another", {
      pid: worker.process.pid,
      code,
      signal,
      error: failure?.error,
      inMs: delay,
      recentCrashes: slot.policy.recent,
    });
    slot.timer = setTimeout(() => this.fork(slot), delay);
  }
}
