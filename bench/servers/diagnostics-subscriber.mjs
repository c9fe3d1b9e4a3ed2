// Loaded by the Taurus bench servers when TAURUS_BENCH_DIAGNOSTICS=1: subscribes a no-op to
// every diagnostics channel of Taurus, to measure what tracing costs (docs/DIAGNOSTICS.md).
import diagnostics from "node:diagnostics_channel";

const noop = () => {};
for (const name of [
  "taurus:connection:open",
  "taurus:connection:close",
  "taurus:connection:frame-dropped",
  "taurus:server:listening",
  "taurus:server:refused",
  "taurus:server:close",
]) {
  diagnostics.subscribe(name, noop);
}
diagnostics.tracingChannel("taurus:server:message").subscribe({
  start: noop,
  end: noop,
  asyncStart: noop,
  asyncEnd: noop,
  error: noop,
});
