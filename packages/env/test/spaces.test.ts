import { createRng } from "@rlts/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Box, Discrete, MultiDiscrete } from "../src/index.js";

describe("Discrete", () => {
  it("contains exactly the integers start … start + n − 1", () => {
    const space = new Discrete(3, 5);
    expect([5, 6, 7].map((v) => space.contains(v))).toEqual([true, true, true]);
    expect([4, 8, 5.5, Number.NaN, "5", undefined, [5]].map((v) => space.contains(v))).toEqual(
      new Array(7).fill(false),
    );
    expect(String(space)).toBe("Discrete(3, start=5)");
  });

  it("samples every value about equally often", () => {
    const space = new Discrete(4);
    const rng = createRng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[space.sample(rng)]++;
    // Binomial(40000, 1/4): sd ≈ 87, so ±500 is > 5 sd.
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it("rejects a size below 1", () => {
    expect(() => new Discrete(0)).toThrow(/Discrete\.n/);
  });
});

describe("Box", () => {
  it("contains vectors of the right length inside the float32 bounds, and never NaN", () => {
    const space = new Box([-1, -2], [1, 2]);
    expect(space.contains(Float32Array.of(1, -2))).toBe(true);
    expect(space.contains([0.5, 0])).toBe(true);
    expect(space.contains([1.0001, 0])).toBe(false);
    expect(space.contains([0, Number.NaN])).toBe(false);
    expect(space.contains([0])).toBe(false);
    expect(space.contains(0)).toBe(false);
  });

  it("stores bounds in its dtype: 0.1 as float32 is 0.10000000149", () => {
    const space = new Box(-0.1, 0.1, [1]);
    expect(space.high[0]).toBe(Math.fround(0.1));
    expect(space.contains([Math.fround(0.1)])).toBe(true);
    expect(new Box<Float64Array>(-0.1, 0.1, [1], "float64").contains([Math.fround(0.1)])).toBe(false);
  });

  it("samples inside bounded boxes (property over random bounds and seeds)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (low, width, seed) => {
          const space = new Box(low, low + width, [3]);
          const x = space.sample(createRng(seed));
          return x instanceof Float32Array && space.contains(x);
        },
      ),
    );
  });

  it("samples a normal when unbounded and an exponential off a one-sided bound", () => {
    const rng = createRng(3);
    const free = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, [1], "float64");
    const below = new Box(2, Number.POSITIVE_INFINITY, [1], "float64");
    const above = new Box(Number.NEGATIVE_INFINITY, -2, [1], "float64");
    let sFree = 0;
    let sFree2 = 0;
    let sBelow = 0;
    let sAbove = 0;
    let minBelow = Number.POSITIVE_INFINITY;
    let maxAbove = Number.NEGATIVE_INFINITY;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const f = free.sample(rng)[0];
      sFree += f;
      sFree2 += f * f;
      const b = below.sample(rng)[0];
      minBelow = Math.min(minBelow, b);
      sBelow += b;
      const a = above.sample(rng)[0];
      maxAbove = Math.max(maxAbove, a);
      sAbove += a;
    }
    expect(minBelow).toBeGreaterThanOrEqual(2);
    expect(maxAbove).toBeLessThanOrEqual(-2);
    // N(0, 1): mean 0, E[x²] = 1; 2 + Exp(1) has mean 3; −2 − Exp(1) has mean −3 (standard errors < 0.01).
    expect(sFree / n).toBeCloseTo(0, 1);
    expect(sFree2 / n).toBeCloseTo(1, 1);
    expect(sBelow / n).toBeCloseTo(3, 1);
    expect(sAbove / n).toBeCloseTo(-3, 1);
  });

  it("rejects low > high and mismatched lengths, naming the field", () => {
    expect(() => new Box(1, 0, [1])).toThrow(/Box\.low\[0\]/);
    expect(() => new Box([0, 0], [1, 1, 1])).toThrow(/Box\.low\/high/);
  });
});

describe("MultiDiscrete", () => {
  it("contains integer vectors with entry i in [0, nvec[i])", () => {
    const space = new MultiDiscrete([2, 3]);
    expect(space.contains([1, 2])).toBe(true);
    expect(space.contains(Int32Array.of(0, 0))).toBe(true);
    expect(space.contains([2, 0])).toBe(false);
    expect(space.contains([0, 1.5])).toBe(false);
    expect(space.contains([0])).toBe(false);
  });

  it("samples inside the space", () => {
    const space = new MultiDiscrete([2, 5, 7]);
    const rng = createRng(0);
    for (let i = 0; i < 500; i++) expect(space.contains(space.sample(rng))).toBe(true);
  });
});
