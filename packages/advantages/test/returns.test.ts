import type { Batch } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeGae, computeReturns, ReturnsEstimator } from "../src/index.js";
import { expectAllClose, expectAllNear } from "./helpers.js";

// One env, T = 5, γ = 0.5:
//   t      0  1  2  3  4
//   r      1  2  0  4  2
//   term   0  1  0  0  0
//   trunc  0  0  0  1  0     V(final obs of t=3) = 8, V(s_5) = 4
// Backwards: G4 = 2 + 0.5·4 = 4; G3 = 4 + 0.5·8 = 8 (truncated: bootstrap); G2 = 0 + 0.5·8 = 4;
//   G1 = 2 (terminated); G0 = 1 + 0.5·2 = 2.   → G = [2, 2, 4, 8, 4]
// Without bootstrap (cut at truncation and buffer end): G4 = 2, G3 = 4, G2 = 2, G1 = 2, G0 = 2.
// Baseline V = [1, 1, 2, 4, 3]: A = G − V = [1, 1, 2, 4, 1].
const worked = {
  rewards: [1, 2, 0, 4, 2],
  terminated: [0, 1, 0, 0, 0],
  truncated: [0, 0, 0, 1, 0],
  truncationValues: [0, 0, 0, 8, 0],
  lastValue: 4,
  values: [1, 1, 2, 4, 3],
};

function batch(): Batch {
  // Two envs: env 0 is the worked rollout, env 1 has r = 1 at every step and ends terminated.
  const other = { rewards: [1, 1, 1, 1, 1], terminated: [0, 0, 0, 0, 1] };
  const interleave = (a: number[], b: number[]) => a.flatMap((x, t) => [x, b[t]]);
  return {
    numSteps: 5,
    numEnvs: 2,
    rewards: Float64Array.from(interleave(worked.rewards, other.rewards)),
    terminated: Uint8Array.from(interleave(worked.terminated, other.terminated)),
    truncated: Uint8Array.from(interleave(worked.truncated, [0, 0, 0, 0, 0])),
    truncationValues: Float64Array.from(interleave(worked.truncationValues, [0, 0, 0, 0, 0])),
    lastValues: Float64Array.of(worked.lastValue, 0),
    values: Float64Array.from(interleave(worked.values, [0, 0, 0, 0, 0])),
  };
}

describeEstimator("returns (bootstrap)", { create: () => new ReturnsEstimator({ gamma: 0.5 }), batch });
describeEstimator("returns (baseline, normalised)", {
  create: () => new ReturnsEstimator({ baseline: true, normalize: true }),
  batch,
});
describeEstimator("returns (no bootstrap)", {
  create: () => new ReturnsEstimator({ bootstrap: false }),
  batch,
});

describe("computeReturns", () => {
  it("matches the hand-worked returns with a terminated and a truncated step", () => {
    const { advantages, returns } = computeReturns(worked, { gamma: 0.5 });
    expect([...returns]).toEqual([2, 2, 4, 8, 4]);
    expect([...advantages]).toEqual([2, 2, 4, 8, 4]);
  });

  it("cuts the return at truncation and buffer end without bootstrap (and then needs no V)", () => {
    const { rewards, terminated, truncated } = worked;
    const { returns } = computeReturns({ rewards, terminated, truncated }, { gamma: 0.5, bootstrap: false });
    expect([...returns]).toEqual([2, 2, 2, 4, 2]);
  });

  it("subtracts the baseline and keeps the returns as value targets", () => {
    const { advantages, returns } = computeReturns(worked, { gamma: 0.5, baseline: true });
    expect([...advantages]).toEqual([1, 1, 2, 4, 1]);
    expect([...returns]).toEqual([2, 2, 4, 8, 4]);
  });

  it("normalises with the population std and no ε by default (Spinning Up)", () => {
    // A = [1, 1, 2, 4, 1]: mean 1.8, population variance (3·0.8² + 0.2² + 2.2²)/5 = 6.8/5 = 1.36.
    const { advantages } = computeReturns(worked, { gamma: 0.5, baseline: true, normalize: true });
    const expected = [1, 1, 2, 4, 1].map((a) => (a - 1.8) / Math.sqrt(1.36));
    expectAllClose(advantages, expected, 14);
    // Sample std + 1e-8: variance 6.8/4 = 1.7.
    const sample = computeReturns(worked, {
      gamma: 0.5,
      baseline: true,
      normalize: true,
      normalizeStd: "sample",
      normalizeEpsilon: 1e-8,
    });
    expectAllClose(
      sample.advantages,
      [1, 1, 2, 4, 1].map((a) => (a - 1.8) / (Math.sqrt(1.7) + 1e-8)),
      14,
    );
  });

  it("normalising one step leaves it unchanged (SB3) and an all-equal batch becomes 0", () => {
    const one = computeReturns({ rewards: [3], terminated: [1], truncated: [0] }, { normalize: true });
    expect([...one.advantages]).toEqual([3]);
    // r = [1, 1], γ = 0 → G = [1, 1]: all equal, so both become exactly 0.
    const equal = computeReturns(
      { rewards: [1, 1], terminated: [0, 1], truncated: [0, 0] },
      { gamma: 0, normalize: true },
    );
    expect([...equal.advantages]).toEqual([0, 0]);
  });

  it("explains a missing input", () => {
    const { lastValue: _l, ...noLast } = worked;
    expect(() => computeReturns(noLast)).toThrow(/lastValue/);
    const { truncationValues: _t, ...noTrunc } = worked;
    expect(() => computeReturns(noTrunc)).toThrow(/truncationValues/);
    const { values: _v, ...noValues } = worked;
    expect(() => computeReturns(noValues, { baseline: true })).toThrow(/values/);
    expect(() => computeReturns(worked, { gamma: 2 })).toThrow(/advantage\.gamma/);
  });
});

describe("ReturnsEstimator", () => {
  it("computes every env of the batch", () => {
    // Env 1: r = 1, γ = 0.5, terminated at t = 4: G = [1.9375, 1.875, 1.75, 1.5, 1].
    const result = new ReturnsEstimator({ gamma: 0.5 }).estimate(batch());
    expect([...result.returns!]).toEqual([2, 1.9375, 2, 1.875, 4, 1.75, 8, 1.5, 4, 1]);
  });

  it("declares what its options need", () => {
    expect(new ReturnsEstimator().requires).toEqual(["truncationValues", "lastValues"]);
    expect(new ReturnsEstimator({ baseline: true, bootstrap: false }).requires).toEqual(["values"]);
    expect(new ReturnsEstimator({ bootstrap: false }).requires).toEqual([]);
    expect(() => new ReturnsEstimator({ baseline: "yes" })).toThrow(/advantage\.baseline/);
  });
});

describe("returns properties", () => {
  it("bootstrapped returns equal the GAE(λ = 1) value targets", () => {
    const finite = fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });
    const arb = fc.integer({ min: 1, max: 20 }).chain((T) =>
      fc.record({
        rewards: fc.array(finite, { minLength: T, maxLength: T }),
        values: fc.array(finite, { minLength: T, maxLength: T }),
        terminated: fc.array(fc.constantFrom(0, 0, 1), { minLength: T, maxLength: T }),
        truncated: fc.array(fc.constantFrom(0, 0, 1), { minLength: T, maxLength: T }),
        truncationValues: fc.array(finite, { minLength: T, maxLength: T }),
        lastValue: finite,
      }),
    );
    fc.assert(
      fc.property(arb, (r) => {
        const G = computeReturns(r, { gamma: 0.97 }).returns;
        const R = computeGae(r, { gamma: 0.97, lambda: 1 }).returns;
        expectAllNear(G, R);
      }),
    );
  });
});
