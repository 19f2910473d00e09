import type { Rng } from "@rlts/core";
import type { ActionHead } from "./mlp-policy.js";
import { logSoftmax64 } from "./sampling.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Actions chosen for a batch and log π of each. */
export interface SampledActions {
  readonly actions: Int32Array | Float32Array;
  readonly logprobs: Float64Array;
}

/**
 * Chooses actions from a policy head's output, the one rule every engine shares so that the same
 * seed gives the same actions on tfjs and onnxruntime. `out` is row-major `[B, width]`: logits for a
 * categorical head (width n), means for a Gaussian head (width dim, with state-independent `logStd`).
 * Categorical: inverse CDF of the softmax with one `rng.next()` per row; Gaussian: μ + σ·`rng.normal()`
 * per dimension, row-major. With `greedy` the mode is taken and nothing is drawn.
 */
export function sampleActions(
  head: ActionHead,
  out: ArrayLike<number>,
  logStd: ArrayLike<number> | undefined,
  rng: Rng,
  greedy = false,
): SampledActions {
  if (head.type === "categorical") {
    const B = out.length / head.n;
    const actions = new Int32Array(B);
    const logprobs = new Float64Array(B);
    const row = new Float64Array(head.n);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < head.n; i++) row[i] = out[b * head.n + i];
      const logp = logSoftmax64(row);
      let a = 0;
      if (greedy) {
        for (let i = 1; i < head.n; i++) if (logp[i] > logp[a]) a = i;
      } else {
        const u = rng.next();
        let cumulative = 0;
        for (a = 0; a < head.n - 1; a++) {
          cumulative += Math.exp(logp[a]);
          if (u < cumulative) break;
        }
      }
      actions[b] = a;
      logprobs[b] = logp[a];
    }
    return { actions, logprobs };
  }
  const B = out.length / head.dim;
  const actions = new Float32Array(B * head.dim);
  const logprobs = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let lp = 0;
    for (let j = 0; j < head.dim; j++) {
      const mu = out[b * head.dim + j];
      const ls = logStd![j];
      const eps = greedy ? 0 : rng.normal();
      actions[b * head.dim + j] = mu + Math.exp(ls) * eps;
      // Diagonal Gaussian log-density at the float32 action actually returned: −z²/2 − log σ − ½log 2π.
      const z = (actions[b * head.dim + j] - mu) / Math.exp(ls);
      lp += -0.5 * z * z - ls - HALF_LOG_2PI;
    }
    logprobs[b] = lp;
  }
  return { actions, logprobs };
}
