import type { LossInputs, LossOutput, Objective } from "@rlts/core";
import { assertOneOf } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import {
  type AdvantageNormalization,
  advantageNormalizations,
  normalizeAdvantages,
} from "./advantage-norm.js";
import { assertBoolean, assertKnownOptions, assertNumber, stripUndefined } from "./options.js";
import { type TargetKlConvention, TargetKlEarlyStop } from "./target-kl.js";
import {
  alignTo,
  assertFiniteTensors,
  assertLossShapes,
  maskedMean,
  readScalars,
  requireInput,
  type Tensor,
} from "./tensor-ops.js";
import {
  explainedVariance,
  type ValueLossConvention,
  valueLoss,
  valueLossConventions,
} from "./value-loss.js";

/** Options of the `ppo` objective. Defaults follow CleanRL `ppo.py`. */
export interface PpoOptions {
  /** ε of the clipped surrogate. Default 0.2. */
  readonly clipRange?: number;
  /** Per-minibatch advantage normalisation. Default `sample-std` ((A − mean)/(std_s + 1e-8), CleanRL/SB3). */
  readonly normalizeAdvantages?: AdvantageNormalization;
  /** c_ent, the entropy bonus. Default 0.01 (CleanRL; SB3 uses 0). */
  readonly entropyCoef?: number;
  /** c_vf, the weight of the value loss; 0 trains no value function. Default 0.5. */
  readonly valueCoef?: number;
  /** `cleanrl` (default; ½·max(unclipped, clipped)) or `sb3` (clipped prediction only, no ½). */
  readonly valueLoss?: ValueLossConvention;
  /** Clip value predictions around V_old. Default true (CleanRL `clip_vloss`; SB3's default is off). */
  readonly clipValue?: boolean;
  /** ε_v for value clipping. Default: `clipRange` (CleanRL reuses the policy ε; SB3 `clip_range_vf`). */
  readonly clipRangeVf?: number;
  /** Early stop when approx KL exceeds this; null (default) never stops. */
  readonly targetKl?: number | null;
  /** Where the target-KL check happens: `cleanrl` (default, per epoch) or `sb3` (per minibatch, 1.5×). */
  readonly targetKlConvention?: TargetKlConvention;
}

/** {@link PpoOptions} with every default filled in. */
export interface ResolvedPpoOptions {
  readonly clipRange: number;
  readonly normalizeAdvantages: AdvantageNormalization;
  readonly entropyCoef: number;
  readonly valueCoef: number;
  readonly valueLoss: ValueLossConvention;
  readonly clipValue: boolean;
  readonly clipRangeVf: number;
  readonly targetKl: number | null;
  readonly targetKlConvention: TargetKlConvention;
}

/** The documented defaults of {@link PpoOptions} (`clipRangeVf` defaults to `clipRange`). */
export const ppoDefaults: Omit<ResolvedPpoOptions, "clipRangeVf"> = {
  clipRange: 0.2,
  normalizeAdvantages: "sample-std",
  entropyCoef: 0.01,
  valueCoef: 0.5,
  valueLoss: "cleanrl",
  clipValue: true,
  targetKl: null,
  targetKlConvention: "cleanrl",
};

/** Fills in defaults and validates; errors name `${field}.<option>`. */
export function resolvePpoOptions(options: PpoOptions = {}, field = "objective"): ResolvedPpoOptions {
  assertKnownOptions(field, options, [...Object.keys(ppoDefaults), "clipRangeVf"]);
  const o: PpoOptions & typeof ppoDefaults = { ...ppoDefaults, ...stripUndefined(options) };
  assertNumber(`${field}.clipRange`, o.clipRange, 0, true);
  assertOneOf(`${field}.normalizeAdvantages`, o.normalizeAdvantages, advantageNormalizations);
  assertNumber(`${field}.entropyCoef`, o.entropyCoef, 0);
  assertNumber(`${field}.valueCoef`, o.valueCoef, 0);
  assertOneOf(`${field}.valueLoss`, o.valueLoss, valueLossConventions);
  assertBoolean(`${field}.clipValue`, o.clipValue);
  const clipRangeVf = o.clipRangeVf ?? o.clipRange;
  assertNumber(`${field}.clipRangeVf`, clipRangeVf, 0, true);
  if (o.targetKl !== null) assertNumber(`${field}.targetKl`, o.targetKl, 0, true);
  assertOneOf(`${field}.targetKlConvention`, o.targetKlConvention, ["cleanrl", "sb3"] as const);
  return { ...o, clipRangeVf };
}

/**
 * PPO's loss for one minibatch (Schulman et al. 2017, PPO eq. 7, 9):
 * L = L_clip − c_ent·mean(H) + c_vf·L_V. Inputs are `[B]` (per step) or `[B, T]` with a mask (per
 * token; advantages may be `[B]`). Metrics (no gradient): `policy_loss`, `value_loss`, `entropy`,
 * `approx_kl` (k3), `old_approx_kl` (k1), `clipfrac`, `explained_variance` (of V_old, or V, for R).
 * Without an `entropy` input the entropy is estimated as mean(−log π) (SB3).
 */
export function ppoLoss(inputs: LossInputs<Tensor>, options: PpoOptions = {}): LossOutput<Tensor> {
  return resolvedPpoLoss(inputs, resolvePpoOptions(options));
}

/** {@link ppoLoss} with options already resolved (the objective resolves them once, not every step). */
function resolvedPpoLoss(inputs: LossInputs<Tensor>, o: ResolvedPpoOptions): LossOutput<Tensor> {
  const { logprobs, advantages, mask, values, returns, oldValues, entropy } = inputs;
  const oldLogprobs = requireInput("oldLogprobs", inputs.oldLogprobs, "PPO's ratio is π_θ/π_old");
  const withValue = o.valueCoef > 0;
  if (withValue) {
    requireInput("values", values, "valueCoef > 0 trains the value function (or set valueCoef: 0)");
    requireInput("returns", returns, "valueCoef > 0 regresses V on the returns (or set valueCoef: 0)");
    if (o.clipValue)
      requireInput("oldValues", oldValues, "clipValue clips V around V_old (or set clipValue: false)");
  }
  assertLossShapes(logprobs, { oldLogprobs, advantages, mask, entropy }, ["advantages"]);
  if (withValue && values && returns) {
    assertLossShapes(values, { returns, oldValues: o.clipValue ? oldValues : undefined });
  }
  assertFiniteTensors({ logprobs, oldLogprobs, advantages, mask, entropy, values, returns, oldValues });
  const valueMask = mask && values && mask.rank === values.rank ? mask : undefined;
  let metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const advMask = mask && advantages.rank === mask.rank ? mask : undefined;
    const adv = alignTo(normalizeAdvantages(advantages, o.normalizeAdvantages, advMask), logprobs);
    // log ρ = log π_θ − log π_old; ρ = exp(log ρ)  (PPO eq. 6, r_t(θ))
    const logRatio = tf.sub(logprobs, oldLogprobs);
    const ratio = tf.exp(logRatio);
    // L_clip = mean[max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))]  (PPO eq. 7)
    const policyLoss = maskedMean(
      tf.maximum(
        tf.mul(tf.neg(adv), ratio),
        tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - o.clipRange, 1 + o.clipRange)),
      ),
      mask,
    );
    // H̄ = mean H[π], or mean(−log π) without a closed form (SB3 ppo.py `entropy_loss`)
    const meanEntropy = maskedMean(entropy ?? tf.neg(logprobs), mask);
    let total = policyLoss;
    const scalars: Record<string, Tensor> = { policy_loss: policyLoss, entropy: meanEntropy };
    if (o.entropyCoef > 0) {
      // L −= c_ent·H̄  (PPO eq. 9, entropy bonus c_2·S)
      total = tf.sub(total, tf.mul(o.entropyCoef, meanEntropy));
    }
    if (withValue && values && returns) {
      const lv = valueLoss(values, returns, {
        convention: o.valueLoss,
        clipRange: o.clipValue ? o.clipRangeVf : undefined,
        oldValues,
        mask: valueMask,
      });
      // L += c_vf·L_V  (PPO eq. 9, c_1·L^VF)
      total = tf.add(total, tf.mul(o.valueCoef, lv));
      scalars.value_loss = lv;
    }
    scalars.loss = total;
    metrics = readScalars(scalars);
    return total;
  });
  Object.assign(metrics, ratioDiagnostics(logprobs, oldLogprobs, mask, o.clipRange));
  if (values && returns) {
    metrics.explained_variance = explainedVariance((oldValues ?? values).dataSync(), returns.dataSync());
  }
  return { loss, metrics };
}

/** The `ppo` objective: {@link ppoLoss} with fixed options, plus the target-KL early stop. */
export class PpoObjective implements Objective<Tensor> {
  readonly name = "ppo";
  readonly requires: readonly (keyof LossInputs<Tensor>)[];
  readonly options: ResolvedPpoOptions;
  /** Present only with `targetKl` and the `sb3` convention, so a trainer evaluates it only then. */
  readonly stopBeforeStep?: (metrics: Readonly<Record<string, number>>) => boolean;
  /** Present only with `targetKl` and the `cleanrl` convention. */
  readonly stopAfterEpoch?: (metrics: Readonly<Record<string, number>>) => boolean;

  constructor(options: PpoOptions = {}, field = "objective") {
    this.options = resolvePpoOptions(options, field);
    const requires: (keyof LossInputs<Tensor>)[] = ["oldLogprobs"];
    if (this.options.valueCoef > 0) {
      requires.push("values", "returns");
      if (this.options.clipValue) requires.push("oldValues");
    }
    this.requires = requires;
    if (this.options.targetKl !== null) {
      const rule = new TargetKlEarlyStop(
        { targetKl: this.options.targetKl, convention: this.options.targetKlConvention },
        field,
      );
      if (rule.convention === "sb3") this.stopBeforeStep = (metrics) => rule.stopBeforeStep(metrics);
      else this.stopAfterEpoch = (metrics) => rule.stopAfterEpoch(metrics);
    }
  }

  loss(inputs: LossInputs<Tensor>): LossOutput<Tensor> {
    return resolvedPpoLoss(inputs, this.options);
  }
}

/**
 * The diagnostics of the ratio, computed in JS from the log-probs (they carry no gradient, and as tfjs
 * ops under a gradient tape each would be recorded and its inputs copied): with log ρ = log π_θ −
 * log π_old, `old_approx_kl` = mean(−log ρ) (k1), `approx_kl` = mean((ρ − 1) − log ρ) (k3) and
 * `clipfrac` = mean(|ρ − 1| > ε) (CleanRL ppo.py, `approx_kl`, `old_approx_kl`, `clipfracs`), masked
 * means Σ m·x / max(Σ m, 1) like {@link maskedMean}.
 */
function ratioDiagnostics(
  logprobs: Tensor,
  oldLogprobs: Tensor,
  mask: Tensor | undefined,
  clipRange: number,
): Record<string, number> {
  const lp = logprobs.dataSync();
  const lpOld = oldLogprobs.dataSync();
  const m = mask?.dataSync();
  let k1 = 0;
  let k3 = 0;
  let clipped = 0;
  let count = 0;
  for (let i = 0; i < lp.length; i++) {
    const w = m ? m[i] : 1;
    // log ρ = log π_θ − log π_old; ρ = exp(log ρ)  (PPO eq. 6, r_t(θ))
    const logRatio = lp[i] - lpOld[i];
    const ratio = Math.exp(logRatio);
    k1 += w * -logRatio;
    k3 += w * (ratio - 1 - logRatio);
    clipped += w * (Math.abs(ratio - 1) > clipRange ? 1 : 0);
    count += w;
  }
  const n = m ? Math.max(count, 1) : lp.length;
  return { old_approx_kl: k1 / n, approx_kl: k3 / n, clipfrac: clipped / n };
}
