import * as tf from "@tensorflow/tfjs-core";
import { maskedMean, type Tensor } from "./tensor-ops.js";

/**
 * Value-loss conventions (CleanRL ppo.py `v_loss`, SB3 ppo.py `value_loss`): `cleanrl` is ½·mean of
 * the squared error (with clipping: ½·mean max(unclipped², clipped²)); `sb3` is mean of the squared
 * error with no ½ (with clipping: the clipped prediction's squared error only, no max). Spinning Up's
 * VPG value loss is the `sb3` form without clipping.
 */
export type ValueLossConvention = "cleanrl" | "sb3";

/** Every {@link ValueLossConvention}, for option validation. */
export const valueLossConventions: readonly ValueLossConvention[] = ["cleanrl", "sb3"];

/** Options of {@link valueLoss}. */
export interface ValueLossOptions {
  readonly convention: ValueLossConvention;
  /** ε_v of value clipping; undefined: no clipping. Needs `oldValues`. */
  readonly clipRange?: number;
  /** V_old, the values predicted when the data was collected; required with `clipRange`. */
  readonly oldValues?: Tensor;
  /** Entries that count; the mean runs over them. */
  readonly mask?: Tensor;
}

/** The value-function loss L_V for predictions `values` and targets `returns`. */
export function valueLoss(values: Tensor, returns: Tensor, options: ValueLossOptions): Tensor {
  return tf.tidy(() => {
    const mask = options.mask;
    const clip = options.clipRange;
    // (V − R)², the squared-error term L^VF of PPO eq. 9
    const unclipped = tf.square(tf.sub(values, returns));
    if (clip === undefined || !options.oldValues) {
      // CleanRL ppo.py: 0.5·mean[(V − R)²]; SB3 ppo.py and Spinning Up vpg.py: mean[(R − V)²]
      const mse = maskedMean(unclipped, mask);
      return options.convention === "cleanrl" ? tf.mul(0.5, mse) : mse;
    }
    // V_clipped = V_old + clip(V − V_old, −ε_v, ε_v)  (OpenAI baselines ppo2 `vpredclipped`)
    const vClipped = tf.add(
      options.oldValues,
      tf.clipByValue(tf.sub(values, options.oldValues), -clip, clip),
    );
    const clipped = tf.square(tf.sub(vClipped, returns));
    if (options.convention === "cleanrl") {
      // CleanRL: 0.5·mean[max((V − R)², (V_clipped − R)²)]  (CleanRL ppo.py `clip_vloss`)
      return tf.mul(0.5, maskedMean(tf.maximum(unclipped, clipped), mask));
    }
    // SB3: mean[(R − V_clipped)²], no 0.5, no max  (SB3 ppo.py `clip_range_vf`)
    return maskedMean(clipped, mask);
  });
}

/**
 * Explained variance 1 − Var(R − V)/Var(R) with population variances (CleanRL ppo.py `explained_var`,
 * SB3 `explained_variance`). NaN when Var(R) = 0, as both libraries report it.
 */
export function explainedVariance(predicted: ArrayLike<number>, target: ArrayLike<number>): number {
  const n = target.length;
  if (n === 0 || predicted.length !== n) return Number.NaN;
  let meanY = 0;
  let meanD = 0;
  for (let i = 0; i < n; i++) {
    meanY += target[i] / n;
    meanD += (target[i] - predicted[i]) / n;
  }
  let varY = 0;
  let varD = 0;
  for (let i = 0; i < n; i++) {
    varY += (target[i] - meanY) ** 2 / n;
    varD += (target[i] - predicted[i] - meanD) ** 2 / n;
  }
  // 1 − Var(R − V)/Var(R)  (SB3 common/utils.py `explained_variance`)
  return varY === 0 ? Number.NaN : 1 - varD / varY;
}
