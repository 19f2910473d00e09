import { NonFiniteError, ShapeError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { GroupEstimator } from "../src/index.js";

/** Off-policy GRPO's advantages (arXiv 2505.22257 eq. 2) with its zero-variance mask (eq. 8). */
function offPolicy(
  rewards: number[],
  groupIds: number[],
  options: { std?: "population" | "sample"; epsilon?: number } = {},
) {
  const estimator = new GroupEstimator({
    std: options.std ?? "population",
    epsilon: options.epsilon ?? 1e-4,
    epsilonPlacement: "variance",
    maskZeroVariance: true,
  });
  return estimator.estimate({
    numSteps: 1,
    numEnvs: rewards.length,
    rewards: Float64Array.from(rewards),
    terminated: new Uint8Array(rewards.length).fill(1),
    truncated: new Uint8Array(rewards.length),
    groupIds: Int32Array.from(groupIds),
  });
}

describe("off-policy advantages (eq. 2) and zero-variance flags (eq. 8) from the group estimator", () => {
  const rewards = [1, 0, 0, 1, 1, 1, 1, 1, 0.5, 0.2, 0.9, 0.4, 7];
  const groups = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3];

  it("normalises by sqrt(σ² + ε) with the population std", () => {
    const { advantages, sampleMask, metrics } = offPolicy(rewards, groups);
    // group 0: mean 0.5, σ² = 0.25 → ±0.5/sqrt(0.2501) = ±0.9998001
    // group 1: all equal → 0 and masked; group 3: a single sample has zero variance → masked
    // group 2: mean 0.5, Σ(r − μ)² = 0 + 0.09 + 0.16 + 0.01 = 0.26, σ² = 0.065 → /sqrt(0.0651) = /0.2551470
    const a = 0.9998000599800071;
    const expected = [a, -a, -a, a, 0, 0, 0, 0, 0, -1.1757927025044, 1.567723603339, -0.3919309008348, 0];
    for (const [i, e] of expected.entries()) expect(advantages[i]).toBeCloseTo(e, 12);
    expect([...(sampleMask as Uint8Array)]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0]);
    // two of four groups have zero variance
    expect(metrics?.frac_reward_zero_std).toBe(0.5);
  });

  it("sample std and a larger ε as options", () => {
    // group 2 with σ² = 0.26/3 = 0.0866667: −0.3/sqrt(0.0867667) = −1.0184619
    expect(offPolicy(rewards, groups, { std: "sample" }).advantages[9]).toBeCloseTo(-1.018461925937, 12);
    // ε = 0.75 on group 0: 0.5/sqrt(0.25 + 0.75) = 0.5
    expect(offPolicy([1, 0], [0, 0], { epsilon: 0.75 }).advantages[0]).toBeCloseTo(0.5, 12);
  });

  it("rejects NaN rewards and mismatched group ids", () => {
    expect(() => offPolicy([1, Number.NaN], [0, 0])).toThrow(NonFiniteError);
    expect(() => offPolicy([1, 0], [0])).toThrow(ShapeError);
  });

  it("masks nothing unless asked (TRL keeps zero-variance groups in the loss)", () => {
    const batch = {
      numSteps: 1,
      numEnvs: 2,
      rewards: Float64Array.of(1, 1),
      terminated: Uint8Array.of(1, 1),
      truncated: Uint8Array.of(0, 0),
      groupIds: Int32Array.of(0, 0),
    };
    expect(new GroupEstimator({}).estimate(batch).sampleMask).toBeUndefined();
    expect(() => new GroupEstimator({ maskZeroVariance: "yes" })).toThrow(/maskZeroVariance/);
  });
});
