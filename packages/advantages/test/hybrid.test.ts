import type { Batch } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { computeHybridAdvantages, HybridEstimator } from "../src/index.js";
import { expectAllClose } from "./helpers.js";

// One env, two states, N = 3 sampled actions each, γ = 0.5:
//   state 0 samples [0, 0, 3]: mean 1, deviations [−1, −1, 2], Σd² = 6
//     sample std √3 → z = d/(√3 + 1e-8); f = tanh(z); mean f = (2·tanh(−1/s) + tanh(2/s))/3, s = √3 + 1e-8
//   state 1 samples [1, 1, 1]: all equal → f ≡ 0
//   V = [1, 3], V(s_2) = 4, no episode end
//   λ = 0:  A0 = meanF0 + 0.5·3 − 1 = meanF0 + 0.5;   A1 = 0 + 0.5·4 − 3 = −1
//   λ = 1:  A0 = (meanF0 + 0.5) + 0.5·(−1) = meanF0
//   state 0 terminated: A0 = meanF0 − 1
const samples = { samplesPerState: 3, rewards: Float64Array.of(0, 0, 3, 1, 1, 1) };
const base = { actionSamples: samples, values: [1, 3], terminated: [0, 0], truncated: [0, 0], lastValue: 4 };
const s = Math.sqrt(3) + 1e-8;
const meanF0 = (2 * Math.tanh(-1 / s) + Math.tanh(2 / s)) / 3;

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
  it("default: mean of tanh(z-score) over the samples plus the one-step value term", () => {
    const { advantages, returns } = computeHybridAdvantages(base, { gamma: 0.5 });
    expectAllClose(advantages, [meanF0 + 0.5, -1], 14);
    expectAllClose(returns!, [meanF0 + 1.5, 2], 14);
  });

  it("λ = 1 runs GAE over the averaged transformed rewards", () => {
    expectAllClose(computeHybridAdvantages(base, { gamma: 0.5, lambda: 1 }).advantages, [meanF0, -1], 14);
  });

  it("drops γV(S_{T+1}) at a terminal state", () => {
    const terminal = { ...base, terminated: [1, 0] };
    expectAllClose(computeHybridAdvantages(terminal, { gamma: 0.5 }).advantages, [meanF0 - 1, -1], 14);
  });

  it("population std, temperature τ and the raw tanh transform", () => {
    // Population std of [0, 0, 3] is √2.
    const p = Math.SQRT2 + 1e-8;
    const meanPop = (2 * Math.tanh(-1 / p) + Math.tanh(2 / p)) / 3;
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, std: "population" }).advantages,
      [meanPop + 0.5, -1],
      14,
    );
    const meanTau = (2 * Math.tanh(-2 / s) + Math.tanh(4 / s)) / 3;
    expectAllClose(computeHybridAdvantages(base, { gamma: 0.5, tau: 2 }).advantages, [meanTau + 0.5, -1], 14);
    // ε = 0.5 added to the sample std √3.
    const e = Math.sqrt(3) + 0.5;
    const meanEps = (2 * Math.tanh(-1 / e) + Math.tanh(2 / e)) / 3;
    expectAllClose(
      computeHybridAdvantages(base, { gamma: 0.5, epsilon: 0.5 }).advantages,
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
    // Executed rewards [3, 1]: A0 = tanh(2/s) − meanF0; state 1 is all equal → 0.
    const { advantages, returns } = computeHybridAdvantages(
      { actionSamples: samples, rewards: [3, 1] },
      { variant: "centred" },
    );
    expectAllClose(advantages, [Math.tanh(2 / s) - meanF0, 0], 14);
    expect(returns).toBeUndefined();
    // Raw tanh: A0 = tanh 3 − tanh(3)/3, A1 = tanh 1 − tanh 1 = 0.
    const raw = computeHybridAdvantages(
      { actionSamples: samples, rewards: [3, 1] },
      { variant: "centred", transform: "tanh" },
    );
    expectAllClose(raw.advantages, [Math.tanh(3) - Math.tanh(3) / 3, 0], 14);
  });

  it("one sample per state leaves the z-score undefined: f := 0, so A is the TD error", () => {
    const one = { ...base, actionSamples: { samplesPerState: 1, rewards: Float64Array.of(7, -3) } };
    expectAllClose(computeHybridAdvantages(one, { gamma: 0.5 }).advantages, [0.5, -1], 14);
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
    expect(() => computeHybridAdvantages({ actionSamples: samples }, { variant: "centred" })).toThrow(
      /rewards/,
    );
  });
});

describe("HybridEstimator", () => {
  it("computes every env of a batch", () => {
    // Env 1: state 0 samples [0, 1, 2] (symmetric: mean f = 0), V = 0, V(s_1) = 0 → A = 0.
    //        state 1 samples [4, 4, 5] terminal: d = [−1/3, −1/3, 2/3], Σd² = 2/3, sample std 1/√3;
    //        mean f = (2·tanh(−(1/3)/s1) + tanh((2/3)/s1))/3 with s1 = 1/√3 + 1e-8; A = mean f − 0.
    const s1 = 1 / Math.sqrt(3) + 1e-8;
    const meanF = (2 * Math.tanh(-1 / 3 / s1) + Math.tanh(2 / 3 / s1)) / 3;
    const result = new HybridEstimator({ gamma: 0.5 }).estimate(hybridBatch());
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
