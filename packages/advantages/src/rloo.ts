import type { AdvantageEstimator, AdvantageResult, Batch, BatchField, PluginOptions } from "@rlts/core";
import { checkBatch, splitAbstentions } from "./batch-checks.js";
import { batchGroups } from "./group.js";
import { type Groups, groupStats, makeGroups } from "./groups.js";
import { checkOptionalInteger, rejectUnknownOptions } from "./options.js";

/** Options of the `rloo` estimator. */
export interface RlooOptions {
  /** Completions per prompt, laid out contiguously; unset (default) reads `batch.groupIds`. */
  readonly groupSize?: number;
}

/** Defaults of {@link RlooOptions}: groups come from `batch.groupIds`. */
export const rlooDefaults: RlooOptions = {};

function rlooKernel(
  rewards: ArrayLike<number>,
  groups: Groups,
  abstained: Uint8Array | undefined,
): { advantages: Float64Array; zero: number } {
  const { groupOf, numGroups } = groups;
  const stats = groupStats(rewards, groups, abstained);
  const advantages = new Float64Array(groupOf.length);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    // A group of one scored sample has no other to form a baseline: 0, as for the group estimator.
    if (stats.constant[g] === 1) continue;
    if (abstained !== undefined && abstained[i] === 1) continue;
    // b_i = (Σ_scored r_j − r_i)/(k − 1), A_i = r_i − b_i over the k scored samples of the group
    // (RLOO, Kool et al. 2019; TRL RLOOTrainer baseline).
    const baseline = (stats.sum[g] - rewards[i]) / (stats.count[g] - 1);
    advantages[i] = rewards[i] - baseline;
  }
  let zero = 0;
  for (let g = 0; g < numGroups; g++) zero += stats.constant[g];
  return { advantages, zero: numGroups === 0 ? 0 : zero / numGroups };
}

/**
 * REINFORCE leave-one-out advantages: each sample's baseline is the mean reward of the other samples
 * of its group. `groups` is a contiguous group size or a group id per reward. A `null` reward
 * abstains: it is in no baseline and gets 0. A group of one scored sample, or of equal rewards, gets 0.
 */
export function computeRlooAdvantages(
  rewards: ArrayLike<number | null>,
  groups: number | ArrayLike<number>,
): Float64Array {
  const split = splitAbstentions("rewards", rewards);
  return rlooKernel(split.rewards, makeGroups(rewards.length, groups), split.abstained).advantages;
}

/**
 * The `rloo` advantage estimator (leave-one-out baseline per group). Samples flagged in
 * `batch.abstained` are in no baseline and get 0.
 */
export class RlooEstimator implements AdvantageEstimator {
  readonly name = "rloo";
  readonly requires: readonly BatchField[];
  /** The configured contiguous group size, if any. */
  readonly groupSize: number | undefined;

  constructor(options: Partial<RlooOptions> | PluginOptions = {}) {
    rejectUnknownOptions(options, ["groupSize"]);
    this.groupSize = checkOptionalInteger("groupSize", options.groupSize, 1);
    this.requires = this.groupSize === undefined ? ["groupIds"] : [];
  }

  estimate(batch: Batch): AdvantageResult {
    const { n, abstained } = checkBatch(batch, this.name, this.requires);
    const result = rlooKernel(batch.rewards, batchGroups(batch, n, this.groupSize), abstained);
    return { advantages: result.advantages, metrics: { frac_reward_zero_std: result.zero } };
  }
}
