import type { LossInputs, LossOutput, Objective } from "@rlts/core";
import { assertOneOf } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import {
  type AdvantageNormalization,
  advantageNormalizations,
  normalizeAdvantages,
} from "./advantage-norm.js";
import { assertBoolean, assertKnownOptions, assertNumber, stripUndefined } from "./options.js";
import {
  alignTo,
  assertFiniteTensors,
  assertLossShapes,
  maskedMean,
  readScalars,
  requireInput,
  type Tensor,
} from "./tensor-ops.js";
import { explainedVariance, valueLoss } from "./value-loss.js";

/** Options of the `reinforce` objective. Defaults follow Spinning Up VPG (`vpg.py`). */
export interface ReinforceOptions {
  /**
   * Train a value function as the baseline b(s) = V(s). The policy term uses the advantages as given:
   * the estimator subtracts the baseline (e.g. `gae` with λ = 1 gives G_t − V(s_t)), so b is never
   * differentiated through the policy loss. Default false.
   */
  readonly baseline?: boolean;
  /** Value loss with a baseline: `spinningup` (default; mean (V − R)², no ½) or `cleanrl` (½·mean). */
  readonly valueLoss?: "spinningup" | "cleanrl";
  /** Weight of the value loss in the total. Default 1. */
  readonly valueCoef?: number;
  /** Advantage normalisation over the minibatch. Default `none` (Spinning Up uses `population-std`). */
  readonly normalizeAdvantages?: AdvantageNormalization;
  /** Entropy bonus c_ent (needs `entropy`, else mean(−log π) is used). Default 0. */
  readonly entropyCoef?: number;
}

/** {@link ReinforceOptions} with every default filled in. */
export interface ResolvedReinforceOptions {
  readonly baseline: boolean;
  readonly valueLoss: "spinningup" | "cleanrl";
  readonly valueCoef: number;
  readonly normalizeAdvantages: AdvantageNormalization;
  readonly entropyCoef: number;
}

/** The documented defaults of {@link ReinforceOptions}. */
export const reinforceDefaults: ResolvedReinforceOptions = {
  baseline: false,
  valueLoss: "spinningup",
  valueCoef: 1,
  normalizeAdvantages: "none",
  entropyCoef: 0,
};

/** Fills in defaults and validates; errors name `${field}.<option>`. */
export function resolveReinforceOptions(
  options: ReinforceOptions = {},
  field = "objective",
): ResolvedReinforceOptions {
  assertKnownOptions(field, options, Object.keys(reinforceDefaults));
  const o: ResolvedReinforceOptions = { ...reinforceDefaults, ...stripUndefined(options) };
  assertBoolean(`${field}.baseline`, o.baseline);
  assertOneOf(`${field}.valueLoss`, o.valueLoss, ["spinningup", "cleanrl"] as const);
  assertNumber(`${field}.valueCoef`, o.valueCoef, 0);
  assertOneOf(`${field}.normalizeAdvantages`, o.normalizeAdvantages, advantageNormalizations);
  assertNumber(`${field}.entropyCoef`, o.entropyCoef, 0);
  return o;
}

/**
 * REINFORCE's surrogate loss (Spinning Up VPG, `vpg.py`): L_π = −mean(log π(a|s)·A); with a
 * baseline, L = L_π + c_v·L_V. Its value means nothing, only its gradient does. Metrics:
 * `policy_loss`, `value_loss`, `entropy`, `explained_variance`, `loss`.
 */
export function reinforceLoss(
  inputs: LossInputs<Tensor>,
  options: ReinforceOptions = {},
): LossOutput<Tensor> {
  const o = resolveReinforceOptions(options);
  const { logprobs, advantages, mask, entropy, values, returns } = inputs;
  if (o.baseline) {
    requireInput("values", values, "baseline: true trains V(s) (or set baseline: false)");
    requireInput("returns", returns, "baseline: true regresses V on the returns (or set baseline: false)");
  }
  assertLossShapes(logprobs, { advantages, mask, entropy }, ["advantages"]);
  if (o.baseline && values && returns) assertLossShapes(values, { returns });
  assertFiniteTensors({ logprobs, advantages, mask, entropy, values, returns });
  let metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const advMask = mask && advantages.rank === mask.rank ? mask : undefined;
    const adv = alignTo(normalizeAdvantages(advantages, o.normalizeAdvantages, advMask), logprobs);
    // L_π = −(1/N) Σ log π(a_t|s_t)·A_t  (Spinning Up vpg.py `loss_pi = -(logp*adv).mean()`)
    const policyLoss = tf.neg(maskedMean(tf.mul(logprobs, adv), mask));
    const meanEntropy = maskedMean(entropy ?? tf.neg(logprobs), mask);
    const scalars: Record<string, Tensor> = { policy_loss: policyLoss, entropy: meanEntropy };
    let total = policyLoss;
    // L −= c_ent·H̄  (entropy bonus as in PPO eq. 9)
    if (o.entropyCoef > 0) total = tf.sub(total, tf.mul(o.entropyCoef, meanEntropy));
    if (o.baseline && values && returns) {
      const valueMask = mask && mask.rank === values.rank ? mask : undefined;
      // L_V = mean (V − R)² (Spinning Up vpg.py `loss_v`) or ½·mean (V − R)² (CleanRL ppo.py)
      const lv = valueLoss(values, returns, {
        convention: o.valueLoss === "cleanrl" ? "cleanrl" : "sb3",
        mask: valueMask,
      });
      scalars.value_loss = lv;
      total = tf.add(total, tf.mul(o.valueCoef, lv));
    }
    scalars.loss = total;
    metrics = readScalars(scalars);
    return total;
  });
  if (o.baseline && values && returns) {
    metrics.explained_variance = explainedVariance(values.dataSync(), returns.dataSync());
  }
  return { loss, metrics };
}

/** The `reinforce` objective (vanilla policy gradient, with or without a learned baseline). */
export class ReinforceObjective implements Objective<Tensor> {
  readonly name = "reinforce";
  readonly requires: readonly (keyof LossInputs<Tensor>)[];
  readonly options: ResolvedReinforceOptions;

  constructor(options: ReinforceOptions = {}, field = "objective") {
    this.options = resolveReinforceOptions(options, field);
    this.requires = this.options.baseline ? ["values", "returns"] : [];
  }

  loss(inputs: LossInputs<Tensor>): LossOutput<Tensor> {
    return reinforceLoss(inputs, this.options);
  }
}
