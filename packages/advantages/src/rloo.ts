import {
  type AdvantageEstimator,
  type AdvantageResult,
  assertFinite,
  type Batch,
  type BatchField,
  type PluginOptions,
} from "@rlts/core";
import { checkBatch } from "./batch-checks.js";
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

function rlooKernel(rewards: ArrayLike<number>, groups: Groups): { advantages: Float64Array; zero: number } {
  const { groupOf, numGroups, sizes } = groups;
  const stats = groupStats(rewards, groups);
  const advantages = new Float64Array(groupOf.length);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    // A group of one has no other sample to form a baseline: 0, as for the group estimator.
    if (stats.constant[g] === 1) continue;
    // b_i = (Σ_j r_j − r_i)/(k − 1), A_i = r_i − b_i  (RLOO, Kool et al. 2019; TRL RLOOTrainer baseline).
    const baseline = (stats.sum[g] - rewards[i]) / (sizes[g] - 1);
    advantages[i] = rewards[i] - baseline;
  }
  let zero = 0;
  for (let g = 0; g < numGroups; g++) zero += stats.constant[g];
  return { advantages, zero: numGroups === 0 ? 0 : zero / numGroups };
}

/**
 * REINFORCE leave-one-out advantages: each sample's baseline is the mean reward of the other samples
 * of its group. `groups` is a contiguous group size or a group id per reward. A group of one, or a group
 * of equal rewards, gets 0.
 */
export function computeRlooAdvantages(
  rewards: ArrayLike<number>,
  groups: number | ArrayLike<number>,
): Float64Array {
  assertFinite("rewards", rewards);
  return rlooKernel(rewards, makeGroups(rewards.length, groups)).advantages;
}

/** The `rloo` advantage estimator (leave-one-out baseline per group). */
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
    const { n } = checkBatch(batch, this.name, this.requires);
    const result = rlooKernel(batch.rewards, batchGroups(batch, n, this.groupSize));
    return { advantages: result.advantages, metrics: { frac_reward_zero_std: result.zero } };
  }
}
