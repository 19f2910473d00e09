import { GroupEstimator } from "@rlts/advantages";
import type { Batch, RewardFunction, RewardInput } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { CompositeReward } from "../src/index.js";

// The composite followed by the `group` advantage estimator must reproduce TRL's advantages
// (grpo_trainer.py `_generate_and_score_completions`, `multi_objective_aggregation`).

const inputs = (n: number): RewardInput[] =>
  Array.from({ length: n }, (_, i) => ({ prompt: "p", completion: `c${i}`, fields: { i } }));

function fixed(name: string, scores: readonly (number | null)[]): RewardFunction {
  return { name, score: (batch) => batch.map((x) => scores[(x.fields as { i: number }).i]) };
}

/** Asserts actual[i] ≈ expected[i] to `digits` decimal places for every i. */
function expectClose(actual: ArrayLike<number | null>, expected: readonly number[], digits: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `sample ${i}`).toBeCloseTo(expected[i], digits);
}

/** The batch a trainer builds from the composite's totals: null → abstained, reward 0. */
function batchOf(total: readonly (number | null)[], groupIds: readonly number[]): Batch {
  const n = total.length;
  return {
    numSteps: 1,
    numEnvs: n,
    rewards: Float64Array.from(total, (r) => r ?? 0),
    terminated: new Uint8Array(n).fill(1),
    truncated: new Uint8Array(n),
    groupIds: Int32Array.from(groupIds),
    abstained: Uint8Array.from(total, (r) => (r === null ? 1 : 0)),
  };
}

describe("composite + group estimator = TRL", () => {
  it("normalize_then_sum + { scale: batch }: GDPO as TRL computes it (2 prompts × 3 completions × 2 rewards)", async () => {
    // Prompt 7 (samples 0–2) and prompt 3 (samples 3–5). Rewards per function (TRL rewards_per_func):
    //   correctness (w 1):  [1, 0, 1 | 0, 0, 1]
    //   format (w 0.5):     [1, None, 0 | 1, 1, 0]     (sample 1's format grader abstained)
    // TRL: grouped = view(-1, 3, 2); mean_k = nanmean over each group; std_k = nanstd (sample std);
    //   reward_k = (grouped − mean_k)/(std_k + 1e-4). With s = √(1/3) + 1e-4 = 0.5774503 and
    //   t = √(1/2) + 1e-4 = 0.7072068:
    //   correctness, prompt 7 [1, 0, 1]: mean 2/3, std √(1/3) → [1/3, −2/3, 1/3]/s = [0.5772503, −1.1545006, 0.5772503]
    //   correctness, prompt 3 [0, 0, 1]: mean 1/3, std √(1/3) → [−1/3, −1/3, 2/3]/s = [−0.5772503, −0.5772503, 1.1545006]
    //   format, prompt 7 [1, NaN, 0]: mean 0.5, std √(0.5/1) → [0.5, NaN, −0.5]/t = [0.7070068, NaN, −0.7070068]
    //   format, prompt 3 [1, 1, 0]: mean 2/3, std √(1/3) → [1/3, 1/3, −2/3]/s = [0.5772503, 0.5772503, −1.1545006]
    // rewards = nansum(reward_k · w) = correctness + 0.5·format:
    //   R = [0.9307537, −1.1545006, 0.2237469, −0.2886251, −0.2886251, 0.5772503]
    //   (exactly [1/(3s) + 0.25/t, −2/(3s), 1/(3s) − 0.25/t, −1/(6s), −1/(6s), 1/(3s)]); nanmean(R) = 0.
    // advantages = (R − nanmean(R))/(nanstd(R) + 1e-4): ΣR² = 2.7490635, nanstd = √(2.7490635/5) = 0.7414936
    //   → A = R/0.7415936 = [1.2550725, −1.5567834, 0.3017109, −0.3891959, −0.3891959, 0.7783917].
    const s = Math.sqrt(1 / 3) + 1e-4;
    const t = Math.sqrt(1 / 2) + 1e-4;
    const R = [
      1 / (3 * s) + 0.25 / t,
      -2 / (3 * s),
      1 / (3 * s) - 0.25 / t,
      -1 / (6 * s),
      -1 / (6 * s),
      1 / (3 * s),
    ];
    const std = Math.sqrt(R.reduce((a, r) => a + r * r, 0) / 5);
    const trl = R.map((r) => r / (std + 1e-4));

    const groupIds = [7, 7, 7, 3, 3, 3];
    const composite = new CompositeReward(
      [
        { reward: fixed("correctness", [1, 0, 1, 0, 0, 1]), weight: 1 },
        { reward: fixed("format", [1, null, 0, 1, 1, 0]), weight: 0.5 },
      ],
      { aggregation: "normalize_then_sum" },
    );
    const total = await composite.score(inputs(6), { groupIds });
    expectClose(total, R, 12);
    const { advantages } = new GroupEstimator({ scale: "batch" }).estimate(batchOf(total, groupIds));
    expectClose(advantages, trl, 12);
    expectClose(advantages, [1.2550725, -1.5567834, 0.3017109, -0.3891959, -0.3891959, 0.7783917], 6);
  });

  it("normalize_then_sum: an unscorable sample is NaN in TRL (out of the batch std) and gets 0", async () => {
    // One prompt, correctness [1, 0, None, 1], format [None, 1, None, 0] (w 1 each); sample 2 unscorable.
    //   correctness over {1, 0, 1}: mean 2/3, std √(1/3) → [1/3, −2/3, ·, 1/3]/s
    //   format over {1, 0}: mean 0.5, std √0.5 → [·, 0.5, ·, −0.5]/t
    //   R = [1/(3s), −2/(3s) + 0.5/t, NaN, 1/(3s) − 0.5/t]; ΣR = 0; A = R/(nanstd(R) + 1e-4), A_2 = 0.
    const s = Math.sqrt(1 / 3) + 1e-4;
    const t = Math.SQRT1_2 + 1e-4;
    const R = [1 / (3 * s), -2 / (3 * s) + 0.5 / t, 1 / (3 * s) - 0.5 / t];
    const std = Math.sqrt(R.reduce((a, r) => a + r * r, 0) / 2);
    const composite = new CompositeReward(
      [{ reward: fixed("correctness", [1, 0, null, 1]) }, { reward: fixed("format", [null, 1, null, 0]) }],
      { aggregation: "normalize_then_sum" },
    );
    const total = await composite.score(inputs(4), { groupIds: [0, 0, 0, 0] });
    expect(total[2]).toBeNull();
    const { advantages } = new GroupEstimator({ scale: "batch" }).estimate(batchOf(total, [0, 0, 0, 0]));
    expectClose(
      advantages,
      [R[0], R[1], 0, R[2]].map((r) => r / (std + 1e-4)),
      12,
    );
  });

  it("sum_then_normalize + group (TRL defaults): the nan-sum, z-scored per prompt over the scorable", async () => {
    // correctness (w 1): [1, None, 0 | 1, 1, 0]; format (w 0.5): [1, None, 1 | None, 0, 1]; sample 1 unscorable.
    // TRL: rewards = nansum(w·r) = [1.5, NaN, 0.5 | 1, 1, 0.5].
    //   prompt 0 over {1.5, 0.5}: mean 1, sample std √0.5 → ±0.5/(√0.5 + 1e-4) = ±0.7070068; sample 1 → 0
    //   prompt 1 over {1, 1, 0.5}: mean 5/6, deviations [1/6, 1/6, −1/3], Σd² = 1/6, std √(1/12)
    //     → [1/6, 1/6, −1/3]/(√(1/12) + 1e-4) = [0.5771503, 0.5771503, −1.1543006]
    const composite = new CompositeReward([
      { reward: fixed("correctness", [1, null, 0, 1, 1, 0]), weight: 1 },
      { reward: fixed("format", [1, null, 1, null, 0, 1]), weight: 0.5 },
    ]);
    const groupIds = [0, 0, 0, 1, 1, 1];
    const total = await composite.score(inputs(6), { groupIds });
    expect(total).toEqual([1.5, null, 0.5, 1, 1, 0.5]);
    const { advantages } = new GroupEstimator().estimate(batchOf(total, groupIds));
    const a = 0.5 / (Math.SQRT1_2 + 1e-4);
    const d = Math.sqrt(1 / 12) + 1e-4;
    expectClose(advantages, [a, 0, -a, 1 / 6 / d, 1 / 6 / d, -1 / 3 / d], 12);
    expect(advantages[0]).toBeCloseTo(0.7070068, 6);
    expect(advantages[5]).toBeCloseTo(-1.1543006, 6);
  });
});
