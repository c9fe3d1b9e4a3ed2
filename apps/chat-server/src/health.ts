// Readiness, like a Kubernetes readiness probe: not ready while shutting down, while any
// configured worker is down (or does not answer), or while the backplane is disconnected;
// the detail says which. Liveness (/livez) is only "the process answers".
import type { BackplaneStats, InstanceSnapshot } from "./instance-metrics";
import type { ChatRoom } from "./room";

/** What /readyz (and /healthz) answers: 200 when ready, 503 otherwise, with the detail. */
export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

/** Connections open on one instance, both protocols. */
const connectionsOf = (s: InstanceSnapshot): number =>
  s.metrics.json.current_connections + s.metrics.binary.current_connections;

/** One instance, as the detail shows it. */
function instanceOf(s: InstanceSnapshot): Record<string, unknown> {
  const b = s.backplane;
  return {
    instance: s.instance,
    pid: s.pid,
    connections: connectionsOf(s),
    backplane: { connected: b.connected ?? true, lost: b.lost ?? 0, dropped: b.dropped },
  };
}

function answer(reasons: string[], detail: Record<string, unknown>): Readiness {
  const ready = reasons.length === 0;
  return { ready, detail: { status: ready ? "ready" : "not ready", reasons, ...detail } };
}

/** One process serving the room itself (no workers). */
export function roomReadiness(room: ChatRoom, stopping: boolean): Readiness {
  const reasons: string[] = [];
  if (stopping) reasons.push("shutting down");
  const backplane: BackplaneStats = room.adapter.stats();
  if (backplane.connected === false) reasons.push("backplane disconnected");
  const self = {
    instance: room.adapter.instanceId,
    pid: process.pid,
    metrics: room.snapshot(),
    backplane,
  };
  return answer(reasons, { connections: room.connectionCount, instances: [instanceOf(self)] });
}

/** The cluster primary: every configured worker listening and answering, each backplane up. */
export function clusterReadiness(state: {
  configured: number;
  listening: number;
  snapshots: InstanceSnapshot[];
  stopping: boolean;
  restarts: number;
}): Readiness {
  const { configured, listening, snapshots, stopping } = state;
  const reasons: string[] = [];
  if (stopping) reasons.push("shutting down");
  if (listening < configured)
    reasons.push(`${configured - listening} of ${configured} workers down`);
  const silent = listening - snapshots.length;
  if (silent > 0) reasons.push(`${silent} of ${configured} workers not answering`);
  const disconnected = snapshots.filter((s) => s.backplane.connected === false);
  if (disconnected.length > 0) {
    reasons.push(`backplane disconnected on ${disconnected.length} workers`);
  }
  return answer(reasons, {
    connections: snapshots.reduce((n, s) => n + connectionsOf(s), 0),
    workers: { configured, listening, answering: snapshots.length, restarts: state.restarts },
    instances: snapshots.map(instanceOf),
  });
}
