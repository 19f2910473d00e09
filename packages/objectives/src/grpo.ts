import type { LossInputs, LossOutput, LossTokenCount, Objective } from "@rlts/core";
import { assertInteger, assertOneOf, ConfigError, ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { type KlEstimator, klEstimate, klEstimators } from "./kl.js";
import { assertBoolean, assertKnownOptions, assertNumber, stripUndefined } from "./options.js";
import {
  alignTo,
  assertFiniteTensors,
  assertLossShapes,
  maskedMean,
  readScalars,
  requireInput,
  stopGradient,
  type Tensor,
} from "./tensor-ops.js";

/** TRL's GRPO loss aggregations (`GRPOConfig.loss_type`). */
export type GrpoLossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";

/** Every {@link GrpoLossType}, for option validation. */
export const grpoLossTypes: readonly GrpoLossType[] = ["grpo", "bnpo", "dr_grpo", "dapo"];

/** Options of {@link grpoLoss} and the `grpo` objective. Defaults follow current TRL `GRPOConfig`. */
export interface GrpoOptions {
  /**
   * How per-token losses are averaged (TRL grpo_trainer.py `_compute_loss`): `grpo` mean over sequences
   * of per-sequence token means; `bnpo` token mean of the micro-batch; `dr_grpo` token sum /
   * (B·maxCompletionLength); `dapo` (default, TRL since 2025-08) token sum / numItemsInBatch, the token
   * count of the whole generation batch.
   */
  readonly lossType?: GrpoLossType;
  /** β of the KL penalty to π_ref in the loss. Default 0 (TRL since 2025-05; DeepSeekMath used 0.04). */
  readonly beta?: number;
  /** Per-token KL estimator with r = π_ref/π_θ. Default `k3` (DeepSeekMath eq. 4). */
  readonly klEstimator?: KlEstimator;
  /** ε_low of the clip. Default 0.2. */
  readonly epsilon?: number;
  /** ε_high of the clip (DAPO clip-higher uses 0.28). Default: `epsilon`. */
  readonly epsilonHigh?: number;
  /**
   * `token` (default): per-token ratio ρ_{i,t}. `sequence` (GSPO, arXiv 2507.18071): the length-normalised
   * sequence ratio s_i, applied per token as sg[s_i]·π_θ(o_{i,t})/sg[π_θ(o_{i,t})].
   */
  readonly importanceSampling?: "token" | "sequence";
  /** Zero the loss mask of completions flagged in `truncated` (DAPO overlong filtering). Default false. */
  readonly maskTruncatedCompletions?: boolean;
  /** L of `dr_grpo`: the configured generation max length (not the padded width). Required for `dr_grpo`. */
  readonly maxCompletionLength?: number;
  /** Micro-batches per optimiser step; `grpo`, `bnpo` and `dr_grpo` divide by it. Default 1. */
  readonly gradientAccumulationSteps?: number;
  /** Entropy bonus: loss −= entropyCoef·(masked mean token entropy). Needs `entropy`. Default 0. */
  readonly entropyCoef?: number;
}

/** {@link GrpoOptions} with every default filled in. */
export interface ResolvedGrpoOptions {
  readonly lossType: GrpoLossType;
  readonly beta: number;
  readonly klEstimator: KlEstimator;
  readonly epsilon: number;
  readonly epsilonHigh: number;
  readonly importanceSampling: "token" | "sequence";
  readonly maskTruncatedCompletions: boolean;
  readonly maxCompletionLength: number | undefined;
  readonly gradientAccumulationSteps: number;
  readonly entropyCoef: number;
}

/** The documented defaults of {@link GrpoOptions} (`epsilonHigh` defaults to `epsilon`). */
export const grpoDefaults: Omit<ResolvedGrpoOptions, "epsilonHigh"> = {
  lossType: "dapo",
  beta: 0,
  klEstimator: "k3",
  epsilon: 0.2,
  importanceSampling: "token",
  maskTruncatedCompletions: false,
  maxCompletionLength: undefined,
  gradientAccumulationSteps: 1,
  entropyCoef: 0,
};

const grpoOptionNames = [...Object.keys(grpoDefaults), "epsilonHigh"];

/** Fills in defaults and validates; errors name `${field}.<option>`. */
export function resolveGrpoOptions(options: GrpoOptions = {}, field = "objective"): ResolvedGrpoOptions {
  assertKnownOptions(field, options, grpoOptionNames);
  const o: GrpoOptions & typeof grpoDefaults = { ...grpoDefaults, ...stripUndefined(options) };
  assertOneOf(`${field}.lossType`, o.lossType, grpoLossTypes);
  assertNumber(`${field}.beta`, o.beta, 0);
  assertOneOf(`${field}.klEstimator`, o.klEstimator, klEstimators);
  assertNumber(`${field}.epsilon`, o.epsilon, 0);
  const epsilonHigh = o.epsilonHigh ?? o.epsilon;
  assertNumber(`${field}.epsilonHigh`, epsilonHigh, 0);
  assertOneOf(`${field}.importanceSampling`, o.importanceSampling, ["token", "sequence"] as const);
  assertBoolean(`${field}.maskTruncatedCompletions`, o.maskTruncatedCompletions);
  if (o.lossType === "dr_grpo" && o.maxCompletionLength === undefined) {
    throw new ConfigError(
      `${field}.maxCompletionLength`,
      undefined,
      "dr_grpo divides by B·L with L the generation max length: set it to the sampler's maxNewTokens",
    );
  }
  if (o.maxCompletionLength !== undefined)
    assertInteger(`${field}.maxCompletionLength`, o.maxCompletionLength, 1);
  assertInteger(`${field}.gradientAccumulationSteps`, o.gradientAccumulationSteps, 1);
  assertNumber(`${field}.entropyCoef`, o.entropyCoef, 0);
  return { ...o, epsilonHigh };
}

/** What {@link grpoLoss} reads: `[B, T]` per-token tensors and `[B]` (or `[B, T]`) advantages. */
export interface GrpoLossInputs {
  /** log π_θ of the completion tokens, `[B, T]` (differentiable). */
  readonly logprobs: Tensor;
  /** log π_old of the same tokens; absent means π_old = sg[π_θ] (one update per batch, ratio 1). */
  readonly oldLogprobs?: Tensor;
  /** log π_ref of the same tokens; required when β > 0. */
  readonly refLogprobs?: Tensor;
  /** Â_i per completion `[B]`, or per token `[B, T]`. */
  readonly advantages: Tensor;
  /** 1 for completion tokens, 0 for padding, `[B, T]`. Default all ones. */
  readonly mask?: Tensor;
  /** 1 for completions cut at the length limit, `[B]`; read with `maskTruncatedCompletions`. */
  readonly truncated?: Tensor;
  /** Token entropy `[B, T]`; read when `entropyCoef` > 0. */
  readonly entropy?: Tensor;
  /** `dapo` only: active tokens in the whole generation batch. Default: this call's Σ mask. */
  readonly numItemsInBatch?: number;
}

/**
 * The GRPO loss (DeepSeekMath eq. 3–4 as TRL `GRPOTrainer._compute_loss` implements it):
 * ℓ_{i,t} = −min(ρ·Â, clip(ρ, 1−ε_low, 1+ε_high)·Â) + β·KL_{i,t}, aggregated by `lossType`.
 * Metrics: `clip_ratio/low_mean`, `clip_ratio/high_mean`, `clip_ratio/region_mean`, `kl` (masked
 * mean of the chosen estimator, when `refLogprobs` is given), `entropy`, `loss`.
 */
export function grpoLoss(inputs: GrpoLossInputs, options: GrpoOptions = {}): LossOutput<Tensor> {
  const o = resolveGrpoOptions(options);
  const { logprobs, oldLogprobs, refLogprobs, advantages, mask, truncated, entropy } = inputs;
  if (logprobs.rank !== 2)
    throw new ShapeError("logprobs", "[B, T] (one row per completion)", `[${logprobs.shape.join(", ")}]`);
  if (o.beta > 0) requireInput("refLogprobs", refLogprobs, "beta > 0 penalises KL to the reference policy");
  if (o.maskTruncatedCompletions) {
    requireInput("truncated", truncated, "maskTruncatedCompletions zeroes the loss of truncated completions");
  }
  if (o.entropyCoef > 0) requireInput("entropy", entropy, "entropyCoef > 0 adds the mean token entropy");
  assertLossShapes(logprobs, { oldLogprobs, refLogprobs, advantages, mask, entropy }, ["advantages"]);
  const [B, T] = logprobs.shape;
  if (truncated && (truncated.rank !== 1 || truncated.shape[0] !== B)) {
    throw new ShapeError("truncated", `[${B}] (one flag per completion)`, `[${truncated.shape.join(", ")}]`);
  }
  if (o.lossType === "dr_grpo" && o.maxCompletionLength !== undefined && T > o.maxCompletionLength) {
    throw new ShapeError(
      "logprobs",
      `at most maxCompletionLength = ${o.maxCompletionLength} tokens per row (dr_grpo's L)`,
      `${T}`,
    );
  }
  const numItems = inputs.numItemsInBatch;
  if (numItems !== undefined) assertNumber("inputs.numItemsInBatch", numItems, 0, true);
  assertFiniteTensors({ logprobs, oldLogprobs, refLogprobs, advantages, mask, truncated, entropy });

  let metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    let m = mask ?? tf.onesLike(logprobs);
    if (o.maskTruncatedCompletions && truncated) {
      // DAPO overlong filtering: m_{i,t} ← m_{i,t}·(1 − truncated_i)  (TRL `mask_truncated_completions`)
      m = tf.mul(m, tf.sub(1, tf.reshape(truncated, [B, 1])));
    }
    // π_old := sg[π_θ] without stored old log-probs  (TRL `_compute_loss`, `old_per_token_logps`)
    const old = oldLogprobs ?? stopGradient(logprobs);
    // log ρ_{i,t} = log π_θ − log π_old  (DeepSeekMath (arXiv 2402.03300) eq. 3)
    const logRatio = tf.sub(logprobs, old);
    const tokensPerRow = tf.maximum(tf.sum(m, 1, true), 1);
    let logWeight: Tensor;
    let seqLogWeight: Tensor | undefined;
    if (o.importanceSampling === "sequence") {
      // log s_i = (1/|o_i|) Σ_t m·log ρ_{i,t}  (GSPO, arXiv 2507.18071 eq. 7)
      seqLogWeight = tf.div(tf.sum(tf.mul(logRatio, m), 1, true), tokensPerRow);
      // GSPO-token: log s_{i,t} = sg[log s_i] + log π_θ − sg[log π_θ]  (verl `compute_policy_loss_gspo`)
      logWeight = tf.add(stopGradient(seqLogWeight), tf.sub(logprobs, stopGradient(logprobs)));
    } else {
      logWeight = logRatio;
    }
    const A = alignTo(advantages, logprobs);
    // coef_1 = ρ, coef_2 = clip(ρ, 1 − ε_low, 1 + ε_high)  (TRL `_compute_loss`; DAPO clip-higher)
    const coef1 = tf.exp(logWeight);
    const coef2 = tf.clipByValue(coef1, 1 - o.epsilon, 1 + o.epsilonHigh);
    // ℓ_{i,t} = −min(coef_1·Â, coef_2·Â)  (TRL `_compute_loss`)
    let perToken = tf.neg(tf.minimum(tf.mul(coef1, A), tf.mul(coef2, A)));
    const scalars: Record<string, Tensor> = {};
    if (refLogprobs) {
      const kl = klEstimate(logprobs, refLogprobs, o.klEstimator);
      // kl metric = masked mean of the per-token estimate  (TRL `_compute_loss` metrics)
      scalars.kl = maskedMean(kl, m);
      // ℓ_{i,t} += β·KL_{i,t}  (DeepSeekMath (arXiv 2402.03300) eq. 3)
      if (o.beta > 0) perToken = tf.add(perToken, tf.mul(o.beta, kl));
    }
    const masked = tf.mul(perToken, m);
    // dapo's normaliser: num_items_in_batch, the active tokens of the whole generation batch (TRL)
    const dapoNormalizer = numItems === undefined ? tf.maximum(tf.sum(m), 1) : tf.scalar(numItems);
    let total: Tensor;
    switch (o.lossType) {
      case "grpo":
        // mean_i [Σ_t m·ℓ / max(Σ_t m, 1)] / grad_accum  (TRL `_compute_loss`, grpo)
        total = tf.div(tf.mean(tf.div(tf.sum(masked, 1, true), tokensPerRow)), o.gradientAccumulationSteps);
        break;
      case "bnpo":
        // Σ m·ℓ / max(Σ m, 1) / grad_accum  (TRL `_compute_loss`, bnpo)
        total = tf.div(tf.div(tf.sum(masked), tf.maximum(tf.sum(m), 1)), o.gradientAccumulationSteps);
        break;
      case "dr_grpo":
        // Σ m·ℓ / (B·L) / grad_accum, L = configured max completion length  (TRL `_compute_loss`, dr_grpo)
        total = tf.div(tf.sum(masked), B * (o.maxCompletionLength as number) * o.gradientAccumulationSteps);
        break;
      default:
        // Σ m·ℓ / num_items_in_batch, no grad_accum division (TRL grpo_trainer.py `_compute_loss`, dapo)
        total = tf.div(tf.sum(masked), dapoNormalizer);
    }
    if (entropy) {
      const meanEntropy = maskedMean(entropy, m);
      scalars.entropy = meanEntropy;
      if (o.entropyCoef > 0) {
        // The bonus is normalised like the loss, so micro-batches add up to the whole batch's:
        // dapo Σ H·m / num_items_in_batch; the others masked mean H / grad_accum (TRL `_compute_loss`).
        const bonus =
          o.lossType === "dapo"
            ? tf.div(tf.sum(tf.mul(entropy, m)), dapoNormalizer)
            : tf.div(meanEntropy, o.gradientAccumulationSteps);
        // loss −= entropy_coef·H̄
        total = tf.sub(total, tf.mul(o.entropyCoef, bonus));
      }
    }
    // Clip metrics on coef_1, per token (per sequence under GSPO)  (TRL `_compute_loss` clip_ratio)
    const ratioForMetrics = seqLogWeight ? tf.exp(seqLogWeight) : coef1;
    const isLow = tf.logicalAnd(tf.less(ratioForMetrics, 1 - o.epsilon), tf.less(A, 0));
    const isHigh = tf.logicalAnd(tf.greater(ratioForMetrics, 1 + o.epsilonHigh), tf.greater(A, 0));
    const metricMean = (x: Tensor): Tensor => {
      const f = tf.cast(x, "float32");
      return f.shape[1] === 1 ? tf.mean(f) : maskedMean(f, m);
    };
    scalars["clip_ratio/low_mean"] = metricMean(isLow);
    scalars["clip_ratio/high_mean"] = metricMean(isHigh);
    scalars["clip_ratio/region_mean"] = metricMean(tf.logicalOr(isLow, isHigh));
    scalars.loss = total;
    metrics = readScalars(scalars);
    return total;
  });
  return { loss, metrics };
}

/** The `grpo` objective: {@link grpoLoss} with fixed options over the core `LossInputs`. */
export class GrpoObjective implements Objective<Tensor> {
  readonly name: string = "grpo";
  readonly requires: readonly (keyof LossInputs<Tensor>)[];
  readonly options: ResolvedGrpoOptions;

  constructor(options: GrpoOptions = {}, field = "objective") {
    this.options = resolveGrpoOptions(options, field);
    const requires: (keyof LossInputs<Tensor>)[] = [];
    if (this.options.beta > 0) requires.push("refLogprobs");
    if (this.options.maskTruncatedCompletions) requires.push("truncated");
    if (this.options.entropyCoef > 0) requires.push("entropy");
    this.requires = requires;
  }

  loss(inputs: LossInputs<Tensor>): LossOutput<Tensor> {
    return grpoLoss(inputs, this.options);
  }

  /**
   * dapo divides by the step's global token count, so its micro-batch losses add up as they are; the
   * other loss types divide by their own `gradientAccumulationSteps`, rescaled here to 1/microBatches.
   */
  accumulationWeight(microBatches: number): number {
    return this.options.lossType === "dapo" ? 1 : this.options.gradientAccumulationSteps / microBatches;
  }

  /** Tokens the loss counts: every token, but none of a truncated completion under overlong filtering. */
  countLossTokens(samples: readonly LossTokenCount[]): number {
    let n = 0;
    // DAPO overlong filtering zeroes the mask of truncated completions before num_items_in_batch is
    // counted (TRL `mask_truncated_completions`).
    for (const s of samples) if (!(this.options.maskTruncatedCompletions && s.truncated)) n += s.tokens;
    return n;
  }
}
