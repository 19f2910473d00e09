import { type Batch, ConfigError, NonFiniteError, ShapeError } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeGae, GaeEstimator } from "../src/index.js";
import { expectAllClose } from "./helpers.js";

// One env, T = 6, γ = 0.5, λ = 0.5 (so γλ = 0.25 and every number below is exact in binary):
//   t      0  1  2  3  4  5
//   r      1  0  2  1  0  1
//   V      2  4  2  4  2  4
//   term   0  0  1  0  0  0
//   trunc  0  0  0  0  1  0      V(final obs of t=4) = 8, V(s_6) = lastValue = 2
// SB3 semantics, backwards:
//   t=5: δ = 1 + 0.5·2 − 4 = −2                 A5 = −2
//   t=4: δ = 0 + 0.5·8 − 2 = 2 (truncated)      A4 = 2          (episode end: no A5 carried)
//   t=3: δ = 1 + 0.5·V4(2) − 4 = −2             A3 = −2 + 0.25·2 = −1.5
//   t=2: δ = 2 − 2 = 0 (terminated)             A2 = 0
//   t=1: δ = 0 + 0.5·V2(2) − 4 = −3             A1 = −3 + 0.25·0 = −3
//   t=0: δ = 1 + 0.5·V1(4) − 2 = 1              A0 = 1 + 0.25·(−3) = 0.25
//   R = A + V = [2.25, 1, 2, 2.5, 4, 2]
// CleanRL ppo.py literal (truncation treated as terminal): t=4: δ = 0 − 2 = −2, A4 = −2;
//   t=3: A3 = −2 + 0.25·(−2) = −2.5; the rest is unchanged.
const worked = {
  rewards: [1, 0, 2, 1, 0, 1],
  values: [2, 4, 2, 4, 2, 4],
  terminated: [0, 0, 1, 0, 0, 0],
  truncated: [0, 0, 0, 0, 1, 0],
  truncationValues: [0, 0, 0, 0, 8, 0],
  lastValue: 2,
};
const sb3Advantages = [0.25, -3, 0, -1.5, 2, -2];
const sb3Returns = [2.25, 1, 2, 2.5, 4, 2];
const cleanrlAdvantages = [0.25, -3, 0, -2.5, -2, -2];

// A second env for the batch: r = 1, V = 0, no episode end, V(s_6) = 0, so δ = 1 everywhere and
// A_t = Σ_{k=0}^{5−t} 0.25^k: A5 = 1, A4 = 1.25, A3 = 1.3125, A2 = 1.328125, A1 = 1.33203125, A0 = 1.3330078125.
const secondEnvAdvantages = [1.3330078125, 1.33203125, 1.328125, 1.3125, 1.25, 1];

/** Interleaves two envs step-major (index t·2 + e). */
function interleave(a: readonly number[], b: readonly number[]): number[] {
  return a.flatMap((x, t) => [x, b[t]]);
}

function twoEnvBatch(): Batch {
  return {
    numSteps: 6,
    numEnvs: 2,
    rewards: Float64Array.from(interleave(worked.rewards, [1, 1, 1, 1, 1, 1])),
    values: Float64Array.from(interleave(worked.values, [0, 0, 0, 0, 0, 0])),
    terminated: Uint8Array.from(interleave(worked.terminated, [0, 0, 0, 0, 0, 0])),
    truncated: Uint8Array.from(interleave(worked.truncated, [0, 0, 0, 0, 0, 0])),
    truncationValues: Float64Array.from(interleave(worked.truncationValues, [0, 0, 0, 0, 0, 0])),
    lastValues: Float64Array.of(worked.lastValue, 0),
  };
}

describeEstimator("gae (SB3 truncation bootstrap)", {
  create: () => new GaeEstimator({ gamma: 0.5, lambda: 0.5 }),
  batch: twoEnvBatch,
});
describeEstimator("gae (CleanRL literal, truncation as terminal)", {
  create: () => new GaeEstimator({ gamma: 0.5, lambda: 0.5, truncation: "terminal" }),
  batch: twoEnvBatch,
});
describeEstimator("gae (normalised)", {
  create: () => new GaeEstimator({ normalize: true }),
  batch: twoEnvBatch,
});

describe("computeGae (one env)", () => {
  it("matches the hand-worked rollout with a terminated and a truncated step (SB3)", () => {
    const { advantages, returns } = computeGae(worked, { gamma: 0.5, lambda: 0.5 });
    expect([...advantages]).toEqual(sb3Advantages);
    expect([...returns]).toEqual(sb3Returns);
  });

  it("treats truncation as terminal only when asked (CleanRL ppo.py literal)", () => {
    const { advantages } = computeGae(worked, { gamma: 0.5, lambda: 0.5, truncation: "terminal" });
    expect([...advantages]).toEqual(cleanrlAdvantages);
  });

  it("lets terminated win when a step is both terminated and truncated", () => {
    // Same as the worked rollout, but t=2 is also truncated with a (wrong) V(final) of 100: no bootstrap.
    const both = { ...worked, truncated: [0, 0, 1, 0, 1, 0], truncationValues: [0, 0, 100, 0, 8, 0] };
    expect([...computeGae(both, { gamma: 0.5, lambda: 0.5 }).advantages]).toEqual(sb3Advantages);
  });

  it("ignores lastValue (even a missing one) when the last step ended its episode", () => {
    // r = [1, 1], V = [0.5, 0.5], last step terminated, γ = λ = 0.5:
    // δ1 = 1 − 0.5 = 0.5, A1 = 0.5; δ0 = 1 + 0.5·0.5 − 0.5 = 0.75, A0 = 0.75 + 0.25·0.5 = 0.875.
    const input = { rewards: [1, 1], values: [0.5, 0.5], terminated: [0, 1], truncated: [0, 0] };
    expect([...computeGae(input, { gamma: 0.5, lambda: 0.5 }).advantages]).toEqual([0.875, 0.5]);
    expect([
      ...computeGae({ ...input, lastValue: Number.NaN }, { gamma: 0.5, lambda: 0.5 }).advantages,
    ]).toEqual([0.875, 0.5]);
  });

  it("uses the defaults γ = 0.99, λ = 0.95", () => {
    // One step, not done: δ = 1 + 0.99·2 − 1 = 1.98.  Two steps, r = [0, 1], V = [0, 0], V(s_2) = 0:
    // A1 = 1, A0 = 0 + 0.99·0.95·1 = 0.9405.
    expect(
      computeGae({ rewards: [1], values: [1], terminated: [0], truncated: [0], lastValue: 2 }).advantages[0],
    ).toBe(1 + 0.99 * 2 - 1);
    const two = computeGae({
      rewards: [0, 1],
      values: [0, 0],
      terminated: [0, 0],
      truncated: [0, 0],
      lastValue: 0,
    });
    expect(two.advantages[0]).toBeCloseTo(0.9405, 15);
  });

  it("normalises over the batch with the population std by default and keeps returns unnormalised", () => {
    // Hand-worked A = [0.25, −3, 0, −1.5, 2, −2]: mean = −4.25/6, population std = sqrt(Σ(A − mean)²/6).
    const { advantages, returns } = computeGae(worked, { gamma: 0.5, lambda: 0.5, normalize: true });
    const m = -4.25 / 6;
    const s = Math.sqrt(sb3Advantages.reduce((acc, a) => acc + (a - m) ** 2, 0) / 6);
    expectAllClose(
      advantages,
      sb3Advantages.map((a) => (a - m) / s),
    );
    expect([...returns]).toEqual(sb3Returns);
    // With the sample std and ε = 1e-8 (CleanRL norm_adv): divide by sqrt(Σ(A − mean)²/5) + 1e-8.
    const sample = computeGae(worked, {
      gamma: 0.5,
      lambda: 0.5,
      normalize: true,
      normalizeStd: "sample",
      normalizeEpsilon: 1e-8,
    });
    const s5 = Math.sqrt(sb3Advantages.reduce((acc, a) => acc + (a - m) ** 2, 0) / 5) + 1e-8;
    expectAllClose(
      sample.advantages,
      sb3Advantages.map((a) => (a - m) / s5),
    );
  });

  it("says which bootstrap value is missing", () => {
    const { truncationValues: _t, ...noTruncationValues } = worked;
    expect(() => computeGae(noTruncationValues)).toThrow(/truncationValues/);
    // Treating truncation as terminal reads no V(final observation).
    expect([
      ...computeGae(noTruncationValues, { gamma: 0.5, lambda: 0.5, truncation: "terminal" }).advantages,
    ]).toEqual(cleanrlAdvantages);
    const { lastValue: _l, ...noLastValue } = worked;
    expect(() => computeGae(noLastValue)).toThrow(ConfigError);
    expect(() => computeGae(noLastValue)).toThrow(/lastValue/);
  });

  it("rejects NaN/±Infinity in rewards, values and the bootstrap values it reads", () => {
    expect(() => computeGae({ ...worked, rewards: [1, 0, Number.NaN, 1, 0, 1] })).toThrow(/rewards\[2\]/);
    expect(() => computeGae({ ...worked, values: [2, 4, 2, Number.POSITIVE_INFINITY, 2, 4] })).toThrow(
      NonFiniteError,
    );
    expect(() => computeGae({ ...worked, truncationValues: [0, 0, 0, 0, Number.NaN, 0] })).toThrow(
      /truncationValues\[4\]/,
    );
    // Entries of truncationValues that are not read may hold anything.
    expect([
      ...computeGae({ ...worked, truncationValues: [Number.NaN, 0, 0, 0, 8, 0] }, { gamma: 0.5, lambda: 0.5 })
        .advantages,
    ]).toEqual(sb3Advantages);
    expect(() => computeGae({ ...worked, lastValue: Number.NEGATIVE_INFINITY })).toThrow(/lastValue/);
  });

  it("rejects mismatched lengths and bad options, naming the field", () => {
    expect(() => computeGae({ ...worked, values: [1, 2] })).toThrow(ShapeError);
    expect(() => computeGae({ ...worked, values: [1, 2] })).toThrow(/values/);
    expect(() => computeGae({ ...worked, terminated: [0] })).toThrow(/terminated/);
    expect(() => computeGae(worked, { gamma: 1.5 })).toThrow(/advantage\.gamma/);
    expect(() => computeGae(worked, { lambda: -0.1 })).toThrow(/advantage\.lambda/);
    expect(() => computeGae(worked, { truncation: "ignore" as "terminal" })).toThrow(/advantage\.truncation/);
    expect(() => new GaeEstimator({ lamda: 0.9 })).toThrow(/advantage\.lamda/);
  });
});

describe("GaeEstimator (batch of envs)", () => {
  it("computes each env of a step-major batch independently", () => {
    const result = new GaeEstimator({ gamma: 0.5, lambda: 0.5 }).estimate(twoEnvBatch());
    expect([...result.advantages]).toEqual(interleave(sb3Advantages, secondEnvAdvantages));
    expect([...result.returns!]).toEqual(interleave(sb3Returns, secondEnvAdvantages));
  });

  it("requires truncationValues only when it bootstraps truncations", () => {
    expect(new GaeEstimator().requires).toEqual(["values", "truncationValues", "lastValues"]);
    const terminal = new GaeEstimator({ gamma: 0.5, lambda: 0.5, truncation: "terminal" });
    expect(terminal.requires).toEqual(["values", "lastValues"]);
    const result = terminal.estimate({ ...twoEnvBatch(), truncationValues: undefined });
    expect([...result.advantages]).toEqual(interleave(cleanrlAdvantages, secondEnvAdvantages));
  });

  it("rejects lastValues of the wrong length", () => {
    expect(() => new GaeEstimator().estimate({ ...twoEnvBatch(), lastValues: Float64Array.of(1) })).toThrow(
      /lastValues/,
    );
  });
});

// ---- properties ---------------------------------------------------------------------------------

const finite = fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });

/** A random one-env rollout with episode ends of both kinds. */
const rollout = fc.integer({ min: 1, max: 25 }).chain((T) =>
  fc.record({
    rewards: fc.array(finite, { minLength: T, maxLength: T }),
    values: fc.array(finite, { minLength: T, maxLength: T }),
    terminated: fc.array(fc.constantFrom(0, 0, 0, 1), { minLength: T, maxLength: T }),
    truncated: fc.array(fc.constantFrom(0, 0, 0, 1), { minLength: T, maxLength: T }),
    truncationValues: fc.array(finite, { minLength: T, maxLength: T }),
    lastValue: finite,
    gamma: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

type Rollout = {
  rewards: number[];
  values: number[];
  terminated: number[];
  truncated: number[];
  truncationValues: number[];
  lastValue: number;
  gamma: number;
};

/** Bootstrapped Monte-Carlo return by a forward sum from t to the episode end (independent of GAE's recursion). */
function monteCarloReturn(r: Rollout, t: number): number {
  let G = 0;
  let discount = 1;
  for (let k = t; k < r.rewards.length; k++) {
    G += discount * r.rewards[k];
    discount *= r.gamma;
    if (r.terminated[k]) return G;
    if (r.truncated[k]) return G + discount * r.truncationValues[k];
  }
  return G + discount * r.lastValue;
}

describe("GAE properties", () => {
  it("λ = 1 gives the bootstrapped Monte-Carlo return minus V", () => {
    fc.assert(
      fc.property(rollout, (r) => {
        const { advantages } = computeGae(r, { gamma: r.gamma, lambda: 1 });
        r.rewards.forEach((_, t) => {
          const expected = monteCarloReturn(r, t) - r.values[t];
          expect(Math.abs(advantages[t] - expected)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(expected)));
        });
      }),
    );
  });

  it("λ = 0 gives the one-step TD error", () => {
    fc.assert(
      fc.property(rollout, (r) => {
        const { advantages } = computeGae(r, { gamma: r.gamma, lambda: 0 });
        const T = r.rewards.length;
        r.rewards.forEach((reward, t) => {
          const next = r.terminated[t]
            ? 0
            : r.truncated[t]
              ? r.truncationValues[t]
              : t === T - 1
                ? r.lastValue
                : r.values[t + 1];
          expect(advantages[t]).toBeCloseTo(reward + r.gamma * next - r.values[t], 12);
        });
      }),
    );
  });

  it("the batch estimator equals computeGae run on each env alone", () => {
    const batchArb = fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }))
      .chain(([T, E]) =>
        fc.record({
          T: fc.constant(T),
          E: fc.constant(E),
          rewards: fc.array(finite, { minLength: T * E, maxLength: T * E }),
          values: fc.array(finite, { minLength: T * E, maxLength: T * E }),
          terminated: fc.array(fc.constantFrom(0, 1), { minLength: T * E, maxLength: T * E }),
          truncated: fc.array(fc.constantFrom(0, 1), { minLength: T * E, maxLength: T * E }),
          truncationValues: fc.array(finite, { minLength: T * E, maxLength: T * E }),
          lastValues: fc.array(finite, { minLength: E, maxLength: E }),
        }),
      );
    fc.assert(
      fc.property(batchArb, (b) => {
        const result = new GaeEstimator({ gamma: 0.9, lambda: 0.8 }).estimate({
          numSteps: b.T,
          numEnvs: b.E,
          rewards: Float64Array.from(b.rewards),
          values: Float64Array.from(b.values),
          terminated: Uint8Array.from(b.terminated),
          truncated: Uint8Array.from(b.truncated),
          truncationValues: Float64Array.from(b.truncationValues),
          lastValues: Float64Array.from(b.lastValues),
        });
        for (let e = 0; e < b.E; e++) {
          const column = (x: number[]) => Array.from({ length: b.T }, (_, t) => x[t * b.E + e]);
          const single = computeGae(
            {
              rewards: column(b.rewards),
              values: column(b.values),
              terminated: column(b.terminated),
              truncated: column(b.truncated),
              truncationValues: column(b.truncationValues),
              lastValue: b.lastValues[e],
            },
            { gamma: 0.9, lambda: 0.8 },
          );
          for (let t = 0; t < b.T; t++) expect(result.advantages[t * b.E + e]).toBe(single.advantages[t]);
        }
      }),
    );
  });
});
