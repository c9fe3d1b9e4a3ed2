import { bench, describe } from "vitest";
import { Counter } from "./counter";
import { Histogram } from "./histogram";
import { ServerMetrics } from "./server-metrics";

// Each bench iteration performs OPS calls, so that the harness overhead per
// iteration is amortised: ns/op = mean time per iteration / OPS.
const OPS = 1000;
const options = { time: 1000, warmupTime: 200 };

// Written by the baseline so the work cannot be optimised away.
const state = { x: 0 };
const counter = new Counter();
const histogram = new Histogram();
const metrics = new ServerMetrics();
// Latencies spread over the whole range (100 ns .. ~60 s), so every branch runs.
const LATENCIES = Float64Array.from({ length: 1024 }, (_, i) => 100 * 1.02 ** i);

describe(`instruments, ${OPS} calls per iteration`, () => {
  bench(
    "baseline: x++",
    () => {
      for (let i = 0; i < OPS; i++) state.x++;
    },
    options,
  );
  bench(
    "Counter.inc()",
    () => {
      for (let i = 0; i < OPS; i++) counter.inc();
    },
    options,
  );
  bench(
    "Histogram.record(ns)",
    () => {
      for (let i = 0; i < OPS; i++) histogram.record(LATENCIES[i & 1023] as number);
    },
    options,
  );
  bench(
    "ServerMetrics.messageReceived(bytes)",
    () => {
      for (let i = 0; i < OPS; i++) metrics.messageReceived(64);
    },
    options,
  );
  bench(
    "ServerMetrics.handlerLatency(ns)",
    () => {
      for (let i = 0; i < OPS; i++) metrics.handlerLatency(LATENCIES[i & 1023] as number);
    },
    options,
  );
});
