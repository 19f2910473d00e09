import { assertOneOf } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { assertLossShapes, type Tensor } from "./tensor-ops.js";

/** Schulman's KL estimators ("Approximating KL Divergence", joschu.net 2020). */
export type KlEstimator = "k1" | "k2" | "k3";

/** Every {@link KlEstimator}, for option validation. */
export const klEstimators: readonly KlEstimator[] = ["k1", "k2", "k3"];

/**
 * Per-position estimate of KL[π_θ, π_ref] from samples of π_θ, with r = π_ref/π_θ (Schulman,
 * "Approximating KL Divergence"): k1 = −log r (unbiased, high variance), k2 = ½(log r)²
 * (biased, ≥ 0), k3 = (r − 1) − log r (unbiased, ≥ 0; DeepSeekMath eq. 4). Differentiable in both
 * arguments; returns a tensor of the inputs' shape.
 */
export function klEstimate(logp: Tensor, logRef: Tensor, estimator: KlEstimator): Tensor {
  assertOneOf("klEstimator", estimator, klEstimators);
  assertLossShapes(logp, { logRef });
  return tf.tidy(() => {
    // log r = log π_ref − log π_θ, r = p_ref/p_θ on samples of π_θ (Schulman, "Approximating KL Divergence")
    const logR = tf.sub(logRef, logp);
    switch (estimator) {
      case "k1":
        // k1 = −log r (Schulman, "Approximating KL Divergence")
        return tf.neg(logR);
      case "k2":
        // k2 = ½ (log r)² (Schulman, "Approximating KL Divergence")
        return tf.mul(0.5, tf.square(logR));
      default:
        // k3 = (r − 1) − log r (DeepSeekMath (arXiv 2402.03300) eq. 4)
        return tf.sub(tf.sub(tf.exp(logR), 1), logR);
    }
  });
}
