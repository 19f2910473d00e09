import {
  type AdvantageEstimator,
  type AdvantageResult,
  type Batch,
  type BatchField,
  type PluginOptions,
  standardDeviation,
} from "@rlts/core";
import { checkBatch, splitAbstentions } from "./batch-checks.js";
import { type Groups, groupStats, makeGroups } from "./groups.js";
import {
  checkBoolean,
  checkNonNegative,
  checkOneOf,
  checkOptionalInteger,
  rejectUnknownOptions,
  type StdKind,
  stdKinds,
  withDefaults,
} from "./options.js";

/** How group-centred rewards are scaled (TRL `scale_rewards`). */
export type GroupScale = "group" | "batch" | "none";

/** Where ε enters the denominator. */
export type EpsilonPlacement = "std" | "variance";

/** Options of {@link computeGroupAdvantages} (and of the `group` estimator, which adds `groupSize`). */
export interface GroupAdvantageOptions {
  /**
   * `"group"` (default, TRL and DeepSeekMath outcome supervision): (r − mean_g)/(std_g + ε).
   * `"batch"` (TRL `scale_rewards="batch"`, Lite-PPO): (r − mean_g)/(std of every reward in the batch + ε).
   * `"none"` (Dr. GRPO, verl `norm_adv_by_std_in_grpo=False`): r − mean_g.
   */
  readonly scale: GroupScale;
  /** `"sample"` (default: TRL `nanstd`, verl `torch.std`) or `"population"`. */
  readonly std: StdKind;
  /** ε. Default 1e-4 (TRL); verl uses 1e-6, the Dr. GRPO repo 1e-8. */
  readonly epsilon: number;
  /**
   * `"std"` (default, TRL/verl): divide by std + ε. `"variance"` (off-policy GRPO, arXiv 2505.22257
   * eq. 2): divide by sqrt(std² + ε).
   */
  readonly epsilonPlacement: EpsilonPlacement;
}

/** Defaults of {@link GroupAdvantageOptions}: TRL's. */
export const groupDefaults: GroupAdvantageOptions = {
  scale: "group",
  std: "sample",
  epsilon: 1e-4,
  epsilonPlacement: "std",
};

const scales: readonly GroupScale[] = ["group", "batch", "none"];
const placements: readonly EpsilonPlacement[] = ["std", "variance"];

/** Validates group options and fills in defaults (unknown keys are rejected against `extraKeys` too). */
export function resolveGroupOptions(
  options: Partial<GroupAdvantageOptions> | PluginOptions = {},
  extraKeys: readonly string[] = [],
): GroupAdvantageOptions {
  rejectUnknownOptions(options, [...Object.keys(groupDefaults), ...extraKeys]);
  const o = withDefaults(groupDefaults, options);
  return {
    scale: checkOneOf("scale", o.scale, scales),
    std: checkOneOf("std", o.std, stdKinds),
    epsilon: checkNonNegative("epsilon", o.epsilon),
    epsilonPlacement: checkOneOf("epsilonPlacement", o.epsilonPlacement, placements),
  };
}

/** The denominator std + ε (TRL grpo_trainer.py), or sqrt(std² + ε) (arXiv 2505.22257 eq. 2). */
export function scaleDenominator(s: number, options: GroupAdvantageOptions): number {
  return options.epsilonPlacement === "std" ? s + options.epsilon : Math.sqrt(s * s + options.epsilon);
}

/** Group advantages and the share of groups whose rewards are all equal (TRL `frac_reward_zero_std`). */
export interface GroupAdvantageResult {
  readonly advantages: Float64Array;
  /** Share of groups whose scored rewards are all equal, a group with fewer than two scored included. */
  readonly fracRewardZeroStd: number;
  /** Per group: 1 where its scored rewards are all equal (fewer than two scored included). */
  readonly zeroVariance: Uint8Array;
}

/**
 * The group kernel over already-validated, finite rewards. Samples flagged in `abstained` are left
 * out of every mean and std and get 0 (TRL's unscorable completions). A group whose scored rewards
 * are all equal (a group of one scored sample, or none, included) gets exactly 0, whatever the
 * scale: with TRL's ε the result would be 0 up to rounding, and without ε it would be 0/0.
 */
export function groupKernel(
  rewards: ArrayLike<number>,
  groups: Groups,
  options: GroupAdvantageOptions,
  abstained?: Uint8Array,
): GroupAdvantageResult {
  const { groupOf, numGroups } = groups;
  const stats = groupStats(rewards, groups, abstained);
  const n = groupOf.length;
  const dof = options.std === "sample" ? 1 : 0;
  const denominators = new Float64Array(numGroups);
  if (options.scale === "group") {
    for (let g = 0; g < numGroups; g++) {
      const k = stats.count[g];
      // std_g over the k scored rewards: sample sqrt(Σ(r − mean_g)²/(k − 1)) (TRL `nanstd`) or population;
      // fewer than dof + 1 scored → std 0 (TRL `std_rewards = 0` for one generation, nan_to_num after nanstd).
      const s = k > dof ? Math.sqrt(stats.sumSq[g] / (k - dof)) : 0;
      denominators[g] = scaleDenominator(s, options);
    }
  } else if (options.scale === "batch") {
    // One std over every scored reward of the generation batch (TRL scale_rewards="batch": `nanstd(rewards)`).
    denominators.fill(scaleDenominator(scoredStd(rewards, abstained, options.std), options));
  } else {
    denominators.fill(1);
  }
  const advantages = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i];
    if (stats.constant[g] === 1 || denominators[g] === 0) continue;
    if (abstained !== undefined && abstained[i] === 1) continue;
    // A_i = (r_i − mean_g)/denominator  (TRL grpo_trainer `_generate_and_score_completions`; Dr. GRPO: denominator 1).
    advantages[i] = (rewards[i] - stats.mean[g]) / denominators[g];
  }
  let zeroStd = 0;
  for (let g = 0; g < numGroups; g++) zeroStd += stats.constant[g];
  return {
    advantages,
    fracRewardZeroStd: numGroups === 0 ? 0 : zeroStd / numGroups,
    zeroVariance: stats.constant,
  };
}

/**
 * Std of the scored entries of `x` (all unless `abstained`): TRL `nanstd`, sqrt(Σ(r − mean)²/(k − 1))
 * over the non-NaN entries. One entry gives 0 (NaN in TRL, zeroed later) and none gives 0 too, where
 * core's `standardDeviation` says NaN: a batch with nothing scored has nothing to scale.
 */
function scoredStd(x: ArrayLike<number>, abstained: Uint8Array | undefined, kind: StdKind): number {
  let scored: ArrayLike<number> = x;
  if (abstained !== undefined) {
    const kept: number[] = [];
    for (let i = 0; i < x.length; i++) if (abstained[i] !== 1) kept.push(x[i]);
    scored = kept;
  }
  return scored.length === 0 ? 0 : standardDeviation(scored, { sample: kind === "sample" });
}

/**
 * GRPO-family advantages of scalar rewards. `groups` is either the group size (contiguous groups of
 * that many completions, TRL's layout) or a group id per reward (any order). A `null` reward
 * abstains: it is left out of its group's mean and std (and the batch std) and gets 0, as TRL treats
 * an unscorable completion.
 *
 * Group of size 1 → 0 (TRL; verl would return r/(1 + 1e-6) instead). All-equal group → 0.
 * Rewards with NaN/±Infinity throw; they are never dropped silently.
 */
export function computeGroupAdvantages(
  rewards: ArrayLike<number | null>,
  groups: number | ArrayLike<number>,
  options: Partial<GroupAdvantageOptions> = {},
): Float64Array {
  const resolved = resolveGroupOptions(options);
  const split = splitAbstentions("rewards", rewards);
  return groupKernel(split.rewards, makeGroups(rewards.length, groups), resolved, split.abstained).advantages;
}

/** Options of the `group` estimator: {@link GroupAdvantageOptions} plus an optional fixed group size. */
export interface GroupEstimatorOptions extends GroupAdvantageOptions {
  /**
   * Completions per prompt, laid out contiguously. When set, `batch.groupIds` is not needed (and not
   * read). Default: unset, so groups come from `batch.groupIds`.
   */
  readonly groupSize?: number;
  /**
   * Mask the samples of groups whose scored rewards are all equal out of the loss, KL term included
   * (`sampleMask`; off-policy GRPO, arXiv 2505.22257 eq. 8). Default false (TRL keeps them: their
   * advantage is 0 but they still carry the β·KL term).
   */
  readonly maskZeroVariance?: boolean;
}

/**
 * Resolves the groups of a batch for group-based estimators: contiguous `groupSize` when configured,
 * else `batch.groupIds`.
 */
export function batchGroups(batch: Batch, n: number, groupSize: number | undefined): Groups {
  return groupSize === undefined ? makeGroups(n, batch.groupIds!) : makeGroups(n, groupSize);
}

/**
 * The `group` advantage estimator (GRPO outcome supervision, Dr. GRPO, batch-std): one advantage per
 * completion, to be broadcast over its tokens by the loss. Samples flagged in `batch.abstained` are
 * left out of every mean and std and get 0 (TRL's unscorable completions). Reports
 * `frac_reward_zero_std`: the share of groups whose scored rewards are all equal (fewer than two
 * scored included).
 */
export class GroupEstimator implements AdvantageEstimator {
  readonly name: string = "group";
  readonly requires: readonly BatchField[];
  /** The validated options with defaults filled in. */
  readonly options: GroupAdvantageOptions;
  /** The configured contiguous group size, if any. */
  readonly groupSize: number | undefined;
  /** Whether zero-variance groups are masked out of the loss (`sampleMask`). */
  readonly maskZeroVariance: boolean;

  constructor(options: Partial<GroupEstimatorOptions> | PluginOptions = {}) {
    this.options = resolveGroupOptions(options, ["groupSize", "maskZeroVariance"]);
    this.groupSize = checkOptionalInteger("groupSize", options.groupSize, 1);
    this.maskZeroVariance = checkBoolean("maskZeroVariance", options.maskZeroVariance ?? false);
    this.requires = this.groupSize === undefined ? ["groupIds"] : [];
  }

  estimate(batch: Batch): AdvantageResult {
    const { n, abstained } = checkBatch(batch, this.name, this.requires);
    const groups = batchGroups(batch, n, this.groupSize);
    const result = groupKernel(batch.rewards, groups, this.options, abstained);
    const metrics = { frac_reward_zero_std: result.fracRewardZeroStd };
    if (!this.maskZeroVariance) return { advantages: result.advantages, metrics };
    // 1[σ_g ≠ 0] per sample (arXiv 2505.22257 eq. 8)
    const sampleMask = Uint8Array.from(groups.groupOf, (g) => 1 - result.zeroVariance[g]);
    return { advantages: result.advantages, sampleMask, metrics };
  }
}
