import { assertOneOf } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { assertLossShapes, type Tensor } from "./tensor-ops.js";

/** Schulman's KL estimators (FORMULAS §9). */
export type KlEstimator = "k1" | "k2" | "k3";

/** Every {@link KlEstimator}, for option validation. */
export const klEstimators: readonly KlEstimator[] = ["k1", "k2", "k3"];

/**
 * Per-position estimate of KL[π_θ, π_ref] from samples of π_θ, with r = π_ref/π_θ (FORMULAS §9,
 * Schulman "Approximating KL Divergence"): k1 = −log r (unbiased, high variance), k2 = ½(log r)²
 * (biased, ≥ 0), k3 = (r − 1) − log r (unbiased, ≥ 0; DeepSeekMath eq. 4). Differentiable in both
 * arguments; returns a tensor of the inputs' shape.
 */
export function klEstimate(logp: Tensor, logRef: Tensor, estimator: KlEstimator): Tensor {
  assertOneOf("klEstimator", estimator, klEstimators);
  assertLossShapes(logp, { logRef });
  return tf.tidy(() => {
    // log r = log π_ref − log π_θ (FORMULAS §9: r = p_ref/p_θ)
    const logR = tf.sub(logRef, logp);
    switch (estimator) {
      case "k1":
        // k1 = −log r (FORMULAS §9)
        return tf.neg(logR);
      case "k2":
        // k2 = ½ (log r)² (FORMULAS §9)
        return tf.mul(0.5, tf.square(logR));
      default:
        // k3 = (r − 1) − log r (FORMULAS §9; DeepSeekMath eq. 4)
        return tf.sub(tf.sub(tf.exp(logR), 1), logR);
    }
  });
}
