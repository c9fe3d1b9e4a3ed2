import { bench, describe } from "vitest";
import { TokenBucket } from "./token-bucket";

// Each bench iteration performs OPS calls, so that the harness overhead per
// iteration is amortised: ns/op = mean time per iteration / OPS.
const OPS = 1000;
const options = { time: 1000, warmupTime: 200 };

// Written by the baselines so the work cannot be optimised away.
const state = { counter: 0, sink: 0 };
function empty(): void {}

// A bucket that never runs dry (huge rate), so every call takes the success path.
const full = new TokenBucket({ rate: 1e12, burst: 1_000_000 });
// A drained bucket on a frozen clock: every call takes the refusal path.
const drained = new TokenBucket({ rate: 1, burst: 1, now: () => 0 });
drained.tryTake();
// The success path without the cost of performance.now().
let fakeTime = 0;
const fakeClocked = new TokenBucket({ rate: 1e12, burst: 1_000_000, now: () => fakeTime });
const unlimited = new TokenBucket({ rate: Number.POSITIVE_INFINITY });

describe(`TokenBucket.tryTake, ${OPS} calls per iteration`, () => {
  bench(
    "baseline: counter++",
    () => {
      for (let i = 0; i < OPS; i++) state.counter++;
    },
    options,
  );
  bench(
    "baseline: empty function call",
    () => {
      for (let i = 0; i < OPS; i++) empty();
    },
    options,
  );
  bench(
    "baseline: performance.now()",
    () => {
      for (let i = 0; i < OPS; i++) state.sink += performance.now();
    },
    options,
  );
  bench(
    "tryTake() success, performance.now clock",
    () => {
      for (let i = 0; i < OPS; i++) full.tryTake();
    },
    options,
  );
  bench(
    "tryTake() success, injected clock",
    () => {
      for (let i = 0; i < OPS; i++) {
        fakeTime++;
        fakeClocked.tryTake();
      }
    },
    options,
  );
  bench(
    "tryTake() refused, fixed clock",
    () => {
      for (let i = 0; i < OPS; i++) drained.tryTake();
    },
    options,
  );
  bench(
    "tryTake() rate Infinity",
    () => {
      for (let i = 0; i < OPS; i++) unlimited.tryTake();
    },
    options,
  );
});
