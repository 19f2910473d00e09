import type { Batch, ProcessRewards } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeGroupAdvantages, computeProcessAdvantages, ProcessGroupEstimator } from "../src/index.js";
import { expectAllClose, expectAllNear } from "./helpers.js";

// Group 0 (samples 0 and 1):
//   sample 0, 5 tokens: step ending at token 1 scored 1, step ending at token 3 scored 0
//   sample 1, 3 tokens: step ending at token 2 scored 1
//   R = {1, 0, 1}: mean 2/3, Σ(r − 2/3)² = 2/9 + 4/9 = 2/3
//   population std sqrt(2/9) = √2/3 → r̃ = (1/3)/(√2/3) = 1/√2 and (−2/3)/(√2/3) = −√2
//   A_0 = [1/√2 − √2, 1/√2 − √2, −√2, −√2, 0] = [−1/√2, −1/√2, −√2, −√2, 0] (token 4 is after the last step)
//   A_1 = [1/√2, 1/√2, 1/√2]
// Group 1 (samples 2 and 3): sample 2 has steps at tokens 0 and 1 both scored 0.5; sample 3 (2 tokens)
//   has no scored step. R = {0.5, 0.5} is all equal → r̃ = 0 → A = 0 everywhere.
const process: ProcessRewards = {
  sample: Int32Array.of(0, 0, 1, 2, 2),
  endToken: Int32Array.of(1, 3, 2, 0, 1),
  rewards: Float64Array.of(1, 0, 1, 0.5, 0.5),
  lengths: Int32Array.of(5, 3, 2, 2),
};
const r2 = Math.SQRT2;

function processBatch(): Batch {
  return {
    numSteps: 1,
    numEnvs: 4,
    rewards: Float64Array.of(1, 1, 0, 0),
    terminated: new Uint8Array(4).fill(1),
    truncated: new Uint8Array(4),
    groupIds: Int32Array.of(0, 0, 1, 1),
    processRewards: process,
  };
}

describeEstimator("group-process", { create: () => new ProcessGroupEstimator(), batch: processBatch });
describeEstimator("group-process (groupSize, population)", {
  create: () => new ProcessGroupEstimator({ groupSize: 2, std: "population", epsilon: 0 }),
  batch: processBatch,
});

describe("computeProcessAdvantages", () => {
  it("normalises step rewards jointly per group and sums those at or after each token", () => {
    const result = computeProcessAdvantages(process, 2, { std: "population", epsilon: 0 });
    expectAllClose(result.normalizedRewards, [1 / r2, -r2, 1 / r2, 0, 0], 14);
    expectAllClose(result.tokenAdvantages[0], [-1 / r2, -1 / r2, -r2, -r2, 0], 14);
    expectAllClose(result.tokenAdvantages[1], [1 / r2, 1 / r2, 1 / r2], 14);
    expect([...result.tokenAdvantages[2]]).toEqual([0, 0]);
    expect([...result.tokenAdvantages[3]]).toEqual([0, 0]);
    expect(result.fracRewardZeroStd).toBe(0.5);
  });

  it("uses the sample std + 1e-4 by default", () => {
    // Sample std of {1, 0, 1}: sqrt((2/3)/2) = sqrt(1/3).
    const s = Math.sqrt(1 / 3) + 1e-4;
    const result = computeProcessAdvantages(process, Int32Array.of(5, 5, 9, 9));
    expectAllClose(result.normalizedRewards, [1 / 3 / s, -2 / 3 / s, 1 / 3 / s, 0, 0], 14);
    expectAllClose(result.tokenAdvantages[0], [-1 / 3 / s, -1 / 3 / s, -2 / 3 / s, -2 / 3 / s, 0], 14);
  });

  it("puts ε under the square root when asked: r̃ = (r − mean)/sqrt(std² + ε)", () => {
    // Population variance of {1, 0, 1} is 2/9.
    const d = Math.sqrt(2 / 9 + 1e-4);
    const result = computeProcessAdvantages(process, 2, { std: "population", epsilonPlacement: "variance" });
    expectAllClose(result.normalizedRewards, [1 / 3 / d, -2 / 3 / d, 1 / 3 / d, 0, 0], 14);
  });

  it("rejects step indices outside their completion and non-finite step rewards", () => {
    expect(() => computeProcessAdvantages({ ...process, endToken: Int32Array.of(1, 5, 2, 0, 1) }, 2)).toThrow(
      /processRewards\.endToken\[1\]/,
    );
    expect(() => computeProcessAdvantages({ ...process, sample: Int32Array.of(0, 0, 1, 2, 4) }, 2)).toThrow(
      /processRewards\.sample\[4\]/,
    );
    expect(() =>
      computeProcessAdvantages({ ...process, rewards: Float64Array.of(1, Number.NaN, 1, 0.5, 0.5) }, 2),
    ).toThrow(/processRewards\.rewards\[1\]/);
    expect(() => computeProcessAdvantages({ ...process, sample: Int32Array.of(0) }, 2)).toThrow(
      /processRewards\.sample/,
    );
  });

  it("with one step at the last token of every sample, equals outcome supervision (property)", () => {
    const arb = fc.integer({ min: 1, max: 5 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        rewards: fc.array(
          fc.integer({ min: -4, max: 4 }).map((k) => k / 4),
          { minLength: size * 3, maxLength: size * 3 },
        ),
        lengths: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: size * 3, maxLength: size * 3 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ size, rewards, lengths }) => {
        const n = rewards.length;
        const result = computeProcessAdvantages(
          {
            sample: Int32Array.from({ length: n }, (_, i) => i),
            endToken: Int32Array.from(lengths, (l) => l - 1),
            rewards: Float64Array.from(rewards),
            lengths: Int32Array.from(lengths),
          },
          size,
        );
        const outcome = computeGroupAdvantages(rewards, size);
        for (let i = 0; i < n; i++) {
          expectAllNear(result.tokenAdvantages[i], new Float64Array(lengths[i]).fill(outcome[i]), 1e-12);
        }
      }),
    );
  });
});

describe("ProcessGroupEstimator", () => {
  it("returns token advantages and each completion's first-token advantage", () => {
    const result = new ProcessGroupEstimator({ std: "population", epsilon: 0 }).estimate(processBatch());
    expectAllClose(result.advantages, [-1 / r2, 1 / r2, 0, 0], 14);
    expectAllClose(result.tokenAdvantages![0], [-1 / r2, -1 / r2, -r2, -r2, 0], 14);
    expect(result.metrics).toEqual({ frac_reward_zero_std: 0.5 });
  });

  it("needs one completion per env", () => {
    const batch = processBatch();
    expect(() =>
      new ProcessGroupEstimator().estimate({
        ...batch,
        numSteps: 2,
        numEnvs: 2,
      }),
    ).toThrow(/numSteps/);
    expect(() =>
      new ProcessGroupEstimator().estimate({
        ...batch,
        processRewards: { ...process, lengths: Int32Array.of(5) },
      }),
    ).toThrow(/processRewards\.lengths/);
  });
});
