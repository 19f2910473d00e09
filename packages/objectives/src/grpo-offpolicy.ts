import type { LossInputs, LossOutput, Objective } from "@rlts/core";
import { assertFinite, assertInteger, assertLength, assertOneOf, ConfigError, ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { type GrpoLossInputs, grpoLoss } from "./grpo.js";
import { type KlEstimator, klEstimators } from "./kl.js";
import { assertBoolean, assertKnownOptions, assertNumber, stripUndefined } from "./options.js";
import { requireInput, type Tensor } from "./tensor-ops.js";

/** Options of the `grpo-offpolicy` objective (Mroueh et al., arXiv 2505.22257v2; FORMULAS §6). */
export interface GrpoOffPolicyOptions {
  /** ε of the clip of π_θ/α (the paper's practical form with π_k/α ≈ 1, eq. 6). Default 0.2 (TRL). */
  readonly epsilon?: number;
  /** Upper clip ε; default `epsilon`. */
  readonly epsilonHigh?: number;
  /** β of KL(π_θ‖π_ref) in eq. 7. Default 0 (the paper used 0.1 on GSM8K and 0.001 on DeepScaleR). */
  readonly beta?: number;
  /** Per-token KL estimator. Default `k3`. */
  readonly klEstimator?: KlEstimator;
  /**
   * v: refresh the sampling policy (α ← π_θ) every v updates (Alg. 1, "if k mod v = 0"). 1 is on-policy
   * GRPO; the paper's off-policy runs use v = 10. Default 1. The trainer reads it.
   */
  readonly samplerRefreshPeriod?: number;
  /** ε of σ_{α,r,ε} = sqrt(σ² + ε), 0 < ε < 1 (eq. 2). The paper gives no value. Default 1e-4. */
  readonly advantageEpsilon?: number;
  /** Which std estimates σ from the G samples: `population` (default; eq. 2's expectation) or `sample`. */
  readonly advantageStd?: "population" | "sample";
  /** Mask prompts whose rewards have zero variance out of the loss, KL included (eq. 8). Default true. */
  readonly maskZeroVariance?: boolean;
}

/** {@link GrpoOffPolicyOptions} with every default filled in. */
export interface ResolvedGrpoOffPolicyOptions {
  readonly epsilon: number;
  readonly epsilonHigh: number;
  readonly beta: number;
  readonly klEstimator: KlEstimator;
  readonly samplerRefreshPeriod: number;
  readonly advantageEpsilon: number;
  readonly advantageStd: "population" | "sample";
  readonly maskZeroVariance: boolean;
}

/** The documented defaults of {@link GrpoOffPolicyOptions} (`epsilonHigh` defaults to `epsilon`). */
export const grpoOffPolicyDefaults: Omit<ResolvedGrpoOffPolicyOptions, "epsilonHigh"> = {
  epsilon: 0.2,
  beta: 0,
  klEstimator: "k3",
  samplerRefreshPeriod: 1,
  advantageEpsilon: 1e-4,
  advantageStd: "population",
  maskZeroVariance: true,
};

/** Fills in defaults and validates; errors name `${field}.<option>`. */
export function resolveGrpoOffPolicyOptions(
  options: GrpoOffPolicyOptions = {},
  field = "objective",
): ResolvedGrpoOffPolicyOptions {
  assertKnownOptions(field, options, [...Object.keys(grpoOffPolicyDefaults), "epsilonHigh"]);
  const o: GrpoOffPolicyOptions & typeof grpoOffPolicyDefaults = {
    ...grpoOffPolicyDefaults,
    ...stripUndefined(options),
  };
  assertNumber(`${field}.epsilon`, o.epsilon, 0);
  const epsilonHigh = o.epsilonHigh ?? o.epsilon;
  assertNumber(`${field}.epsilonHigh`, epsilonHigh, 0);
  assertNumber(`${field}.beta`, o.beta, 0);
  assertOneOf(`${field}.klEstimator`, o.klEstimator, klEstimators);
  assertInteger(`${field}.samplerRefreshPeriod`, o.samplerRefreshPeriod, 1);
  assertNumber(`${field}.advantageEpsilon`, o.advantageEpsilon, 0, true);
  if (o.advantageEpsilon >= 1) {
    throw new ConfigError(`${field}.advantageEpsilon`, o.advantageEpsilon, "use 0 < ε < 1 (eq. 2)");
  }
  assertOneOf(`${field}.advantageStd`, o.advantageStd, ["population", "sample"] as const);
  assertBoolean(`${field}.maskZeroVariance`, o.maskZeroVariance);
  return { ...o, epsilonHigh };
}

/** What {@link offPolicyGroupAdvantages} returns, one entry per sample. */
export interface OffPolicyAdvantages {
  /** Â_i = (r_i − mean)/sqrt(std² + ε) over the sample's group. */
  readonly advantages: Float64Array;
  /** 1 where the sample's group has non-zero reward variance, 0 where eq. 8 masks it. */
  readonly keep: Uint8Array;
  /** `frac_reward_zero_std`: the fraction of groups with zero variance. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Off-policy GRPO advantages from the G samples of the sampling policy α per prompt (FORMULAS §6,
 * eq. 2): Â = (r_i − mean)/sqrt(std² + ε), and the zero-variance flag of eq. 8. Groups are the samples
 * sharing a `groupIds` value; a group of one has zero variance. Throws on NaN rewards or mismatched
 * lengths.
 */
export function offPolicyGroupAdvantages(
  rewards: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  options: Pick<GrpoOffPolicyOptions, "advantageEpsilon" | "advantageStd"> = {},
): OffPolicyAdvantages {
  const epsilon = options.advantageEpsilon ?? grpoOffPolicyDefaults.advantageEpsilon;
  const stdKind = options.advantageStd ?? grpoOffPolicyDefaults.advantageStd;
  assertNumber("advantageEpsilon", epsilon, 0, true);
  assertOneOf("advantageStd", stdKind, ["population", "sample"] as const);
  assertLength("groupIds", groupIds, rewards.length, "group ids (one per reward)");
  assertFinite("rewards", rewards);
  const members = new Map<number, number[]>();
  for (let i = 0; i < rewards.length; i++) {
    const list = members.get(groupIds[i]);
    if (list) list.push(i);
    else members.set(groupIds[i], [i]);
  }
  const advantages = new Float64Array(rewards.length);
  const keep = new Uint8Array(rewards.length);
  let zeroGroups = 0;
  for (const idx of members.values()) {
    const G = idx.length;
    // μ = mean_i r_i (eq. 2)
    let mean = 0;
    for (const i of idx) mean += rewards[i] / G;
    let sumSq = 0;
    for (const i of idx) sumSq += (rewards[i] - mean) ** 2;
    // σ² = Σ(r − μ)²/G (population, eq. 2) or /(G − 1) (sample)
    const variance = stdKind === "population" ? sumSq / G : G > 1 ? sumSq / (G - 1) : 0;
    const allEqual = idx.every((i) => rewards[i] === rewards[idx[0]]);
    if (allEqual) zeroGroups++;
    for (const i of idx) {
      // Â = (r − μ)/sqrt(σ² + ε) (FORMULAS §6, eq. 2)
      advantages[i] = allEqual ? 0 : (rewards[i] - mean) / Math.sqrt(variance + epsilon);
      keep[i] = allEqual ? 0 : 1;
    }
  }
  return {
    advantages,
    keep,
    metrics: { frac_reward_zero_std: members.size ? zeroGroups / members.size : 0 },
  };
}

/** {@link GrpoLossInputs} plus the per-sample zero-variance flags of eq. 8. */
export interface GrpoOffPolicyLossInputs extends GrpoLossInputs {
  /** 1 where the sample's prompt has non-zero reward variance, `[B]` ({@link OffPolicyAdvantages.keep}). */
  readonly keep?: Tensor;
}

/**
 * Off-policy GRPO's loss (FORMULAS §6, eq. 6–8), token-level as in the paper's TRL-based code:
 * −E_x 1[σ ≠ 0]·(E_{y~α} min(π/α·Â, clip(π/α, 1−ε, 1+ε)·Â) − β·KL(π‖π_ref)). The ratio is against the
 * sampling policy α (`oldLogprobs`, required). Masked prompts contribute 0 and still count in the mean
 * over samples (the `grpo` aggregation), which with equal group sizes is E_x.
 */
export function grpoOffPolicyLoss(
  inputs: GrpoOffPolicyLossInputs,
  options: GrpoOffPolicyOptions = {},
): LossOutput<Tensor> {
  const o = resolveGrpoOffPolicyOptions(options);
  const oldLogprobs = requireInput(
    "oldLogprobs",
    inputs.oldLogprobs,
    "the ratio is π_θ/α with α the sampling policy",
  );
  const { keep, logprobs } = inputs;
  if (keep && (keep.rank !== 1 || keep.shape[0] !== logprobs.shape[0])) {
    throw new ShapeError(
      "keep",
      `[${logprobs.shape[0]}] (one flag per sample)`,
      `[${keep.shape.join(", ")}]`,
    );
  }
  const mask =
    o.maskZeroVariance && keep
      ? tf.tidy(() => tf.mul(inputs.mask ?? tf.onesLike(logprobs), tf.reshape(keep, [keep.shape[0], 1])))
      : inputs.mask;
  try {
    return grpoLoss(
      { ...inputs, oldLogprobs, mask },
      {
        lossType: "grpo",
        epsilon: o.epsilon,
        epsilonHigh: o.epsilonHigh,
        beta: o.beta,
        klEstimator: o.klEstimator,
      },
    );
  } finally {
    if (mask && mask !== inputs.mask) mask.dispose();
  }
}

/**
 * The `grpo-offpolicy` objective over the core `LossInputs`: the zero-variance flags are expected
 * folded into `mask` (multiply {@link OffPolicyAdvantages.keep} in, row by row), which the `grpo`
 * aggregation then counts as zero rows in the denominator.
 */
export class GrpoOffPolicyObjective implements Objective<Tensor> {
  readonly name = "grpo-offpolicy";
  readonly requires: readonly (keyof LossInputs<Tensor>)[];
  readonly options: ResolvedGrpoOffPolicyOptions;
  readonly samplerRefreshPeriod: number;

  constructor(options: GrpoOffPolicyOptions = {}, field = "objective") {
    this.options = resolveGrpoOffPolicyOptions(options, field);
    this.samplerRefreshPeriod = this.options.samplerRefreshPeriod;
    this.requires = this.options.beta > 0 ? ["oldLogprobs", "refLogprobs", "mask"] : ["oldLogprobs", "mask"];
  }

  /** Advantages and zero-variance flags of one generation batch, with this objective's ε and std. */
  advantages(rewards: ArrayLike<number>, groupIds: ArrayLike<number>): OffPolicyAdvantages {
    return offPolicyGroupAdvantages(rewards, groupIds, this.options);
  }

  loss(inputs: LossInputs<Tensor>): LossOutput<Tensor> {
    return grpoOffPolicyLoss(inputs, this.options);
  }
}
