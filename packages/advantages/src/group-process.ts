import {
  type AdvantageEstimator,
  type AdvantageResult,
  assertFinite,
  assertLength,
  type Batch,
  type BatchField,
  ConfigError,
  type PluginOptions,
  type ProcessRewards,
  ShapeError,
} from "@rlts/core";
import { checkBatch } from "./batch-checks.js";
import {
  type EpsilonPlacement,
  type GroupAdvantageOptions,
  groupDefaults,
  scaleDenominator,
} from "./group.js";
import { type Groups, groupStats, makeGroups } from "./groups.js";
import {
  checkNonNegative,
  checkOneOf,
  checkOptionalInteger,
  rejectUnknownOptions,
  type StdKind,
  stdKinds,
  withDefaults,
} from "./options.js";

/** Options of {@link computeProcessAdvantages} and the `group-process` estimator. */
export interface ProcessAdvantageOptions {
  /**
   * Std of the joint normalisation. DeepSeekMath §4.1.3 does not say which; the default `"sample"`
   * matches the `group` estimator (TRL).
   */
  readonly std: StdKind;
  /** ε. Default 1e-4, as the `group` estimator (DeepSeekMath writes no ε; it keeps all-equal groups finite). */
  readonly epsilon: number;
  /** `"std"` (default): std + ε; `"variance"`: sqrt(std² + ε). */
  readonly epsilonPlacement: EpsilonPlacement;
  /** Completions per prompt, contiguous; unset (default) reads `batch.groupIds` (estimator only). */
  readonly groupSize?: number;
}

/** Defaults of {@link ProcessAdvantageOptions}. */
export const processDefaults: ProcessAdvantageOptions = {
  std: groupDefaults.std,
  epsilon: groupDefaults.epsilon,
  epsilonPlacement: groupDefaults.epsilonPlacement,
};

function resolveProcessOptions(
  options: Partial<ProcessAdvantageOptions> | PluginOptions,
): ProcessAdvantageOptions {
  rejectUnknownOptions(options, [...Object.keys(processDefaults), "groupSize"]);
  const o = withDefaults(processDefaults, options);
  return {
    std: checkOneOf("std", o.std, stdKinds),
    epsilon: checkNonNegative("epsilon", o.epsilon),
    epsilonPlacement: checkOneOf("epsilonPlacement", o.epsilonPlacement, ["std", "variance"] as const),
    groupSize: checkOptionalInteger("groupSize", o.groupSize, 1),
  };
}

/** Per-token advantages of process supervision. */
export interface ProcessAdvantageResult {
  /** A_{i,t} for every completion token t of each sample i (0 after the sample's last scored step). */
  readonly tokenAdvantages: Float64Array[];
  /** r̃ of each scored step, in the order of `processRewards.rewards`. */
  readonly normalizedRewards: Float64Array;
  /** Share of groups whose step rewards are all equal (their r̃ are all 0). */
  readonly fracRewardZeroStd: number;
}

function checkProcessRewards(process: ProcessRewards): void {
  const steps = process.rewards.length;
  assertLength("processRewards.sample", process.sample, steps, "entries (one per scored step)");
  assertLength("processRewards.endToken", process.endToken, steps, "entries (one per scored step)");
  assertFinite("processRewards.rewards", process.rewards);
  const numSamples = process.lengths.length;
  for (let i = 0; i < numSamples; i++) {
    const length = process.lengths[i];
    if (!Number.isInteger(length) || length < 0) {
      throw new ConfigError(`processRewards.lengths[${i}]`, length, "use the completion's token count (≥ 0)");
    }
  }
  for (let j = 0; j < steps; j++) {
    const sample = process.sample[j];
    if (!(sample >= 0 && sample < numSamples)) {
      throw new ShapeError(
        `processRewards.sample[${j}]`,
        `a sample index in [0, ${numSamples})`,
        `${sample}`,
      );
    }
    const end = process.endToken[j];
    if (!(end >= 0 && end < process.lengths[sample])) {
      throw new ShapeError(
        `processRewards.endToken[${j}]`,
        `a token index in [0, ${process.lengths[sample]}) (the length of sample ${sample})`,
        `${end}`,
      );
    }
  }
}

function processKernel(
  process: ProcessRewards,
  sampleGroups: Groups,
  options: ProcessAdvantageOptions,
): ProcessAdvantageResult {
  const steps = process.rewards.length;
  // The set R of DeepSeekMath §4.1.3 is every step reward of every output of the group.
  const stepGroupOf = new Int32Array(steps);
  const stepSizes = new Int32Array(sampleGroups.numGroups);
  for (let j = 0; j < steps; j++) {
    const g = sampleGroups.groupOf[process.sample[j]];
    stepGroupOf[j] = g;
    stepSizes[g]++;
  }
  const stepGroups: Groups = { groupOf: stepGroupOf, numGroups: sampleGroups.numGroups, sizes: stepSizes };
  const stats = groupStats(process.rewards, stepGroups);
  const dof = options.std === "sample" ? 1 : 0;
  const scaling: GroupAdvantageOptions = { ...groupDefaults, ...options, scale: "group" };
  const normalizedRewards = new Float64Array(steps);
  for (let j = 0; j < steps; j++) {
    const g = stepGroupOf[j];
    if (stats.constant[g] === 1) continue;
    const s = stepSizes[g] > dof ? Math.sqrt(stats.sumSq[g] / (stepSizes[g] - dof)) : 0;
    const denominator = scaleDenominator(s, scaling);
    // r̃_i^{index(j)} = (r_i^{index(j)} − mean(R))/std(R)  (DeepSeekMath §4.1.3; ε as in `group`).
    if (denominator !== 0) normalizedRewards[j] = (process.rewards[j] - stats.mean[g]) / denominator;
  }
  const tokenAdvantages = Array.from(process.lengths, (length) => new Float64Array(length));
  for (let j = 0; j < steps; j++)
    tokenAdvantages[process.sample[j]][process.endToken[j]] += normalizedRewards[j];
  for (const a of tokenAdvantages) {
    // A_{i,t} = Σ_{j: index(j) ≥ t} r̃_i^{index(j)}: a suffix sum over token positions (DeepSeekMath §4.1.3).
    for (let t = a.length - 2; t >= 0; t--) a[t] += a[t + 1];
  }
  let zero = 0;
  let withSteps = 0;
  for (let g = 0; g < stepGroups.numGroups; g++) {
    if (stepSizes[g] === 0) continue;
    withSteps++;
    zero += stats.constant[g];
  }
  return { tokenAdvantages, normalizedRewards, fracRewardZeroStd: withSteps === 0 ? 0 : zero / withSteps };
}

/**
 * DeepSeekMath process supervision (§4.1.3): the step rewards of all outputs of a group are normalised
 * jointly, and a token's advantage is the sum of the normalised rewards of the steps ending at or after
 * it. `groups` is a contiguous group size or a group id per sample (`processRewards.lengths.length` samples).
 */
export function computeProcessAdvantages(
  process: ProcessRewards,
  groups: number | ArrayLike<number>,
  options: Partial<Omit<ProcessAdvantageOptions, "groupSize">> = {},
): ProcessAdvantageResult {
  const resolved = resolveProcessOptions(options);
  checkProcessRewards(process);
  return processKernel(process, makeGroups(process.lengths.length, groups), resolved);
}

/**
 * The `group-process` advantage estimator: {@link computeProcessAdvantages} on `batch.processRewards`.
 * It returns `tokenAdvantages`, and as the per-completion `advantages` the advantage of each
 * completion's first token (the sum of all its normalised step rewards). `batch.rewards` (outcome
 * rewards) are validated but not used. The batch must hold one completion per env (`numSteps = 1`).
 */
export class ProcessGroupEstimator implements AdvantageEstimator {
  readonly name = "group-process";
  readonly requires: readonly BatchField[];
  /** The validated options with defaults filled in. */
  readonly options: ProcessAdvantageOptions;

  constructor(options: Partial<ProcessAdvantageOptions> | PluginOptions = {}) {
    this.options = resolveProcessOptions(options);
    this.requires =
      this.options.groupSize === undefined ? ["processRewards", "groupIds"] : ["processRewards"];
  }

  estimate(batch: Batch): AdvantageResult {
    const { n } = checkBatch(batch, this.name, this.requires);
    if (batch.numSteps !== 1) {
      throw new ShapeError(
        "batch.numSteps",
        "1 for process supervision (one completion per env)",
        `${batch.numSteps}`,
      );
    }
    const process = batch.processRewards!;
    assertLength("processRewards.lengths", process.lengths, n, "lengths (one per completion)");
    checkProcessRewards(process);
    const groups =
      this.options.groupSize === undefined
        ? makeGroups(n, batch.groupIds!)
        : makeGroups(n, this.options.groupSize);
    const result = processKernel(process, groups, this.options);
    const advantages = Float64Array.from(result.tokenAdvantages, (a) => (a.length > 0 ? a[0] : 0));
    return {
      advantages,
      tokenAdvantages: result.tokenAdvantages,
      metrics: { frac_reward_zero_std: result.fracRewardZeroStd },
    };
  }
}
