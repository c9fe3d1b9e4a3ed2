import { describe, expect, it } from "vitest";
import { Counter } from "./counter";
import { Gauge } from "./gauge";

describe("Counter", () => {
  it("counts exactly, past 2^32", () => {
    const counter = new Counter();
    expect(counter.value).toBe(0);
    counter.inc();
    counter.inc(41);
    expect(counter.value).toBe(42);
    counter.inc(2 ** 32);
    counter.inc();
    expect(counter.value).toBe(2 ** 32 + 43);
    counter.reset();
    expect(counter.value).toBe(0);
  });
});

describe("Gauge", () => {
  it("sets, increments and decrements", () => {
    const gauge = new Gauge();
    expect(gauge.value).toBe(0);
    gauge.inc();
    gauge.inc(4);
    gauge.dec();
    expect(gauge.value).toBe(4);
    gauge.dec(6);
    expect(gauge.value).toBe(-2);
    gauge.set(17);
    expect(gauge.value).toBe(17);
    gauge.reset();
    expect(gauge.value).toBe(0);
  });
});
