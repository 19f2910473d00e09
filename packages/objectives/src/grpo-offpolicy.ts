import type { LossInputs, LossOutput, Objective, PluginSpec } from "@rlts/core";
import { assertInteger, assertOneOf, ConfigError, ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { type GrpoLossInputs, grpoLoss } from "./grpo.js";
import { type KlEstimator, klEstimators } from "./kl.js";
import { assertBoolean, assertKnownOptions, assertNumber, stripUndefined } from "./options.js";
import { requireInput, type Tensor } from "./tensor-ops.js";

/** Options of the `grpo-offpolicy` objective (Mroueh et al., arXiv 2505.22257v2). */
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

/** {@link GrpoLossInputs} plus the per-sample zero-variance flags of eq. 8. */
export interface GrpoOffPolicyLossInputs extends GrpoLossInputs {
  /** 1 where the sample's prompt has non-zero reward variance, `[B]` (the `group` estimator's `sampleMask`). */
  readonly keep?: Tensor;
}

/**
 * Off-policy GRPO's loss (Mroueh et al. arXiv 2505.22257 eq. 6–8), token-level as in the paper's
 * TRL-based code: −E_x 1[σ ≠ 0]·(E_{y~α} min(π/α·Â, clip(π/α, 1−ε, 1+ε)·Â) − β·KL(π‖π_ref)). The
 * ratio is against the sampling policy α (`oldLogprobs`, required). Masked prompts contribute 0 and
 * still count in the mean over samples (the `grpo` aggregation), which with equal group sizes is E_x.
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
 * The `grpo-offpolicy` objective over the core `LossInputs`. Its advantages (eq. 2) and zero-variance
 * mask (eq. 8) are the `group` estimator's with this objective's ε and std ({@link advantage}, which a
 * trainer uses unless its config names an estimator); the mask arrives folded into `mask`, which the
 * `grpo` aggregation counts as zero rows in the denominator. Samples drawn by an older policy are
 * importance-corrected against their own log α, so it accepts stale samples.
 */
export class GrpoOffPolicyObjective implements Objective<Tensor> {
  readonly name: string = "grpo-offpolicy";
  readonly requires: readonly (keyof LossInputs<Tensor>)[];
  readonly options: ResolvedGrpoOffPolicyOptions;
  readonly samplerRefreshPeriod: number;
  readonly acceptsStaleSamples = true;
  /**
   * Â = (r − μ)/sqrt(σ² + ε) over each prompt's samples, and the samples of zero-variance prompts
   * masked out (arXiv 2505.22257 eq. 2 and 8), as a `group` estimator spec.
   */
  readonly advantage: PluginSpec;

  constructor(options: GrpoOffPolicyOptions = {}, field = "objective") {
    this.options = resolveGrpoOffPolicyOptions(options, field);
    this.samplerRefreshPeriod = this.options.samplerRefreshPeriod;
    this.requires = this.options.beta > 0 ? ["oldLogprobs", "refLogprobs", "mask"] : ["oldLogprobs", "mask"];
    this.advantage = {
      name: "group",
      std: this.options.advantageStd,
      epsilon: this.options.advantageEpsilon,
      epsilonPlacement: "variance",
      maskZeroVariance: this.options.maskZeroVariance,
    };
  }

  loss(inputs: LossInputs<Tensor>): LossOutput<Tensor> {
    return grpoOffPolicyLoss(inputs, this.options);
  }
}
