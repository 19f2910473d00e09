import type { Batch } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { computeHybridAdvantages, HybridEstimator } from "../src/index.js";
import { expectAllClose } from "./helpers.js";

// One env, two states, N = 3 sampled actions each, γ = 0.5, V = [1, 3], V(s_2) = 4, no episode end.
// Default (one z-score over the batch, population std, sb3-contrib PR #275):
//   all six samples [0, 0, 3, 1, 1, 1]: mean 1, deviations [−1, −1, 2, 0, 0, 0], Σd² = 6,
//   population std √(6/6) = 1 → z = d/(1 + 1e-8); mean f of state 0 = (2·tanh(−1/b) + tanh(2/b))/3, b = 1 + 1e-8;
//   state 1: z ≡ 0 → f ≡ 0.
//   λ = 0:  A0 = batchF0 + 0.5·3 − 1 = batchF0 + 0.5;   A1 = 0 + 0.5·4 − 3 = −1
// Per state (normalizeOver: "state", std: "sample"):
//   state 0 samples [0, 0, 3]: mean 1, deviations [−1, −1, 2], Σd² = 6
//     sample std √3 → z = d/(√3 + 1e-8); f = tanh(z); mean f = (2·tanh(−1/s) + tanh(2/s))/3, s = √3 + 1e-8
//   state 1 samples [1, 1, 1]: all equal → f ≡ 0
//   λ = 0:  A0 = meanF0 + 0.5·3 − 1 = meanF0 + 0.5;   A1 = 0 + 0.5·4 − 3 = −1
//   λ = 1:  A0 = (meanF0 + 0.5) + 0.5·(−1) = meanF0
//   state 0 terminated: A0 = meanF0 − 1
const samples = { samplesPerState: 3, rewards: Float64Array.of(0, 0, 3, 1, 1, 1) };
const base = { actionSamples: samples, values: [1, 3], terminated: [0, 0], truncated: [0, 0], lastValue: 4 };
const b = 1 + 1e-8;
const batchF0 = (2 * Math.tanh(-1 / b) + Math.tanh(2 / b)) / 3;
const s = Math.sqrt(3) + 1e-8;
const meanF0 = (2 * Math.tanh(-1 / s) + Math.tanh(2 / s)) / 3;
const perState = { normalizeOver: "state", std: "sample" } as const;

function hybridBatch(): Batch {
  // Two envs × two steps; env 0 is the worked example, env 1 has samples [0, 1, 2] and [4, 4, 5], V = 0.
  return {
    numSteps: 2,
    numEnvs: 2,
    rewards: Float64Array.of(3, 1, 1, 4),
    terminated: Uint8Array.of(0, 0, 0, 1),
    truncated: new Uint8Array(4),
    values: Float64Array.of(1, 0, 3, 0),
    truncationValues: new Float64Array(4),
    lastValues: Float64Array.of(4, 0),
    actionSamples: { samplesPerState: 3, rewards: Float64Array.of(0, 0, 3, 0, 1, 2, 1, 1, 1, 4, 4, 5) },
  };
}

describeEstimator("hybrid (default)", {
  create: () => new HybridEstimator({ gamma: 0.5 }),
  batch: hybridBatch,
});
describeEstimator("hybrid (centred, raw tanh)", {
  create: () => new HybridEstimator({ variant: "centred", transform: "tanh" }),
  batch: hybridBatch,
});
describeEstimator("hybrid (GAE λ = 0.95, population)", {
  create: () => new HybridEstimator({ lambda: 0.95, std: "population" }),
  batch: hybridBatch,
});

describe("computeHybridAdvantages", () => {
  it("default: mean of tanh(z-score over the batch) plus the one-step value term", () => {
    const { advantages, returns } = computeHybridAdvantages(base, { gamma: 0.5 });
    expectAllClose(advantages, [batchF0 + 0.5, -1], 14);
    expectAllClose(returns!, [batchF0 + 1.5, 2], 14);
  });

  it("per state: mean of tanh(z-score over the state's samples) plus the one-step value term", () => {
    const { advantages, returns } = computeHybridAdvantages(base, { gamma: 0.5, ...perState });
    expectAllClose(advantages, [meanF0 + 0.5, -1], 14);
    expectAllClose(returns!, [meanF0 + 1.5, 2], 14);
  });

  it("λ = 1 runs GAE over the averaged transformed rewards", () => {
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, lambda: 1, ...perState }).advantages,
      [meanF0, -1],
      14,
    );
    expectAllClose(computeHybridAdvantages(base, { gamma: 0.5, lambda: 1 }).advantages, [batchF0, -1], 14);
  });

  it("drops γV(S_{T+1}) at a terminal state", () => {
    const terminal = { ...base, terminated: [1, 0] };
    expectAllClose(
      computeHybridAdvantages(terminal, { gamma: 0.5, ...perState }).advantages,
      [meanF0 - 1, -1],
      14,
    );
    expectAllClose(computeHybridAdvantages(terminal, { gamma: 0.5 }).advantages, [batchF0 - 1, -1], 14);
  });

  it("population std, temperature τ and the raw tanh transform", () => {
    // Per state: population std of [0, 0, 3] is √2.
    const p = Math.SQRT2 + 1e-8;
    const meanPop = (2 * Math.tanh(-1 / p) + Math.tanh(2 / p)) / 3;
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, normalizeOver: "state", std: "population" }).advantages,
      [meanPop + 0.5, -1],
      14,
    );
    // Over the batch with the sample std: Σd² = 6 over 6 samples → √(6/5).
    const q = Math.sqrt(6 / 5) + 1e-8;
    const meanSample = (2 * Math.tanh(-1 / q) + Math.tanh(2 / q)) / 3;
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, std: "sample" }).advantages,
      [meanSample + 0.5, -1],
      14,
    );
    const meanTau = (2 * Math.tanh(-2 / s) + Math.tanh(4 / s)) / 3;
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, tau: 2, ...perState }).advantages,
      [meanTau + 0.5, -1],
      14,
    );
    // ε = 0.5 added to the sample std √3.
    const e = Math.sqrt(3) + 0.5;
    const meanEps = (2 * Math.tanh(-1 / e) + Math.tanh(2 / e)) / 3;
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, epsilon: 0.5, ...perState }).advantages,
      [meanEps + 0.5, -1],
      14,
    );
    // Raw tanh: state 0 → (tanh 0 + tanh 0 + tanh 3)/3; state 1 → tanh 1.
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, transform: "tanh" }).advantages,
      [Math.tanh(3) / 3 + 0.5, Math.tanh(1) - 1],
      14,
    );
  });

  it("centred variant (PR #275): f(executed reward) minus the mean of f over the samples, no V", () => {
    // Executed rewards [3, 1], per state: A0 = tanh(2/s) − meanF0; state 1 is all equal → 0.
    const { advantages, returns } = computeHybridAdvantages(
      { actionSamples: samples, rewards: [3, 1] },
      { variant: "centred", ...perState },
    );
    expectAllClose(advantages, [Math.tanh(2 / s) - meanF0, 0], 14);
    expect(returns).toBeUndefined();
    // Default (batch mean 1, population std 1): A0 = tanh(2/b) − batchF0; A1 = f(1) − 0 = 0.
    const batch = computeHybridAdvantages(
      { actionSamples: samples, rewards: [3, 1] },
      { variant: "centred" },
    );
    expectAllClose(batch.advantages, [Math.tanh(2 / b) - batchF0, 0], 14);
    // Raw tanh: A0 = tanh 3 − tanh(3)/3, A1 = tanh 1 − tanh 1 = 0.
    const raw = computeHybridAdvantages(
      { actionSamples: samples, rewards: [3, 1] },
      { variant: "centred", transform: "tanh" },
    );
    expectAllClose(raw.advantages, [Math.tanh(3) - Math.tanh(3) / 3, 0], 14);
  });

  it("one sample per state: per state f := 0 (A is the TD error); over the batch the samples still compare", () => {
    const one = { ...base, actionSamples: { samplesPerState: 1, rewards: Float64Array.of(7, -3) } };
    expectAllClose(computeHybridAdvantages(one, { gamma: 0.5, ...perState }).advantages, [0.5, -1], 14);
    // Batch [7, −3]: mean 2, population std 5 → z = ±5/(5 + 1e-8); A0 = f + 0.5, A1 = −f − 1.
    const f = Math.tanh(5 / (5 + 1e-8));
    expectAllClose(computeHybridAdvantages(one, { gamma: 0.5 }).advantages, [f + 0.5, -f - 1], 14);
    // A single sampled reward in the whole batch has no std: f := 0.
    const single = {
      actionSamples: { samplesPerState: 1, rewards: Float64Array.of(7) },
      values: [1],
      lastValue: 4,
    };
    expectAllClose(computeHybridAdvantages(single, { gamma: 0.5 }).advantages, [0.5 * 4 - 1], 14);
  });

  it("rejects non-finite sampled rewards, wrong sample counts and unknown options", () => {
    const bad = {
      ...base,
      actionSamples: { samplesPerState: 3, rewards: Float64Array.of(0, Number.NaN, 3, 1, 1, 1) },
    };
    expect(() => computeHybridAdvantages(bad)).toThrow(/actionSamples\.rewards\[1\]/);
    const short = { ...base, actionSamples: { samplesPerState: 4, rewards: samples.rewards } };
    expect(() => computeHybridAdvantages(short)).toThrow(/actionSamples\.rewards/);
    expect(() => computeHybridAdvantages(base, { alpha: 0.5 } as never)).toThrow(/advantage\.alpha/);
    expect(() => computeHybridAdvantages(base, { normalizeOver: "env" as "batch" })).toThrow(
      /advantage\.normalizeOver/,
    );
    expect(() => computeHybridAdvantages({ actionSamples: samples }, { variant: "centred" })).toThrow(
      /rewards/,
    );
  });
});

describe("HybridEstimator", () => {
  it("computes every env of a batch, with one z-score over all its sampled rewards", () => {
    // States (t, e) in batch order: (0,0) [0, 0, 3], (0,1) [0, 1, 2], (1,0) [1, 1, 1], (1,1) [4, 4, 5].
    // All 12: Σr = 3 + 3 + 3 + 13 = 22, mean 11/6; Σr² = 9 + 5 + 3 + 57 = 74, population variance
    //   74/12 − (11/6)²; f(r) = tanh((r − 11/6)/(std + 1e-8)).
    // Value terms (γ = 0.5): (0,0): 0.5·V(1,0) − V(0,0) = 1.5 − 1 = 0.5; (1,0): 0.5·4 − 3 = −1;
    //   (0,1): 0.5·0 − 0 = 0; (1,1) terminal: 0 − 0 = 0.
    const mu = 11 / 6;
    const d = Math.sqrt(74 / 12 - mu * mu) + 1e-8;
    const meanF = (xs: number[]) => xs.reduce((a, r) => a + Math.tanh((r - mu) / d), 0) / xs.length;
    const result = new HybridEstimator({ gamma: 0.5 }).estimate(hybridBatch());
    expectAllClose(
      result.advantages,
      [meanF([0, 0, 3]) + 0.5, meanF([0, 1, 2]), meanF([1, 1, 1]) - 1, meanF([4, 4, 5])],
      14,
    );
  });

  it("per state (normalizeOver: state, std: sample), every env of a batch", () => {
    // Env 1: state 0 samples [0, 1, 2] (symmetric: mean f = 0), V = 0, V(s_1) = 0 → A = 0.
    //        state 1 samples [4, 4, 5] terminal: d = [−1/3, −1/3, 2/3], Σd² = 2/3, sample std 1/√3;
    //        mean f = (2·tanh(−(1/3)/s1) + tanh((2/3)/s1))/3 with s1 = 1/√3 + 1e-8; A = mean f − 0.
    const s1 = 1 / Math.sqrt(3) + 1e-8;
    const meanF = (2 * Math.tanh(-1 / 3 / s1) + Math.tanh(2 / 3 / s1)) / 3;
    const result = new HybridEstimator({ gamma: 0.5, ...perState }).estimate(hybridBatch());
    expectAllClose(result.advantages, [meanF0 + 0.5, 0, -1, meanF], 14);
  });

  it("declares the value fields only for the mean variant", () => {
    expect(new HybridEstimator().requires).toEqual([
      "actionSamples",
      "values",
      "truncationValues",
      "lastValues",
    ]);
    expect(new HybridEstimator({ variant: "centred" }).requires).toEqual(["actionSamples"]);
  });
});

describe("Hybrid GRPO default: one z-score over the whole batch of sampled rewards", () => {
  // Three states (three envs, one step each, terminal, V = 0, so A = mean f), N = 4 samples each:
  //   [0, 0, 0, 1], [10, 10, 10, 11], [−5, −5, −5, −4].
  // Per state, every state has the same shape: mean r0 + 0.25, sample std 0.5, z = [−0.5 ×3, 1.5],
  //   mean f = (3·tanh(−0.5) + tanh(1.5))/4 = −0.1203008 for all three: the reward level is lost.
  // Over the whole batch (sb3-contrib PR #275 `reward_scaling_fn`: tanh((r − mean)/(std_pop + 1e-8))):
  //   Σr = 1 + 41 − 19 = 23, mean = 23/12 = 1.9166667; Σr² = 1 + 421 + 91 = 513,
  //   population variance 513/12 − (23/12)² = 39.0763889, std 6.2511110.
  //   state 0: z = −0.3066122 (×3), −0.1466406 → f = −0.2973519, −0.1455985 → mean f = −0.2594136
  //   state 1: z =  1.2931035 (×3),  1.4530750 → f =  0.8599372,  0.8962992 → mean f =  0.8690277
  //   state 2: z = −1.1064700 (×3), −0.9464984 → f = −0.8028110, −0.7381937 → mean f = −0.7866567
  const levels = Float64Array.of(0, 0, 0, 1, 10, 10, 10, 11, -5, -5, -5, -4);
  const levelBatch = (): Batch => ({
    numSteps: 1,
    numEnvs: 3,
    rewards: new Float64Array(3),
    terminated: new Uint8Array(3).fill(1),
    truncated: new Uint8Array(3),
    values: new Float64Array(3),
    truncationValues: new Float64Array(3),
    lastValues: new Float64Array(3),
    actionSamples: { samplesPerState: 4, rewards: levels },
  });
  const mu = 23 / 12;
  const sigma = Math.sqrt(513 / 12 - mu * mu) + 1e-8;
  const meanF = (r0: number) => (3 * Math.tanh((r0 - mu) / sigma) + Math.tanh((r0 + 1 - mu) / sigma)) / 4;

  it("keeps the reward level: the three states get different advantages, in the reward's order", () => {
    const { advantages } = new HybridEstimator().estimate(levelBatch());
    expectAllClose(advantages, [meanF(0), meanF(10), meanF(-5)], 14);
    expectAllClose(advantages, [-0.2594136, 0.8690277, -0.7866567], 6);
    expect(advantages[1]).toBeGreaterThan(advantages[0]);
    expect(advantages[0]).toBeGreaterThan(advantages[2]);
  });

  it('normalizeOver: "state" (with the sample std) is the per-state z-score: the level is lost', () => {
    // z = (−0.25, 0.75)/(0.5 + 1e-8) = −0.5, 1.5.
    const perState = (3 * Math.tanh(-0.25 / (0.5 + 1e-8)) + Math.tanh(0.75 / (0.5 + 1e-8))) / 4;
    const { advantages } = new HybridEstimator({ normalizeOver: "state", std: "sample" }).estimate(
      levelBatch(),
    );
    expectAllClose(advantages, [perState, perState, perState], 14);
    expect(perState).toBeCloseTo(-0.1203008, 6);
  });
});
