import * as tf from "@tensorflow/tfjs-core";
import type { Tensor } from "./tensor-ops.js";

/** How a loss normalises its minibatch of advantages before use. */
export type AdvantageNormalization = "none" | "sample-std" | "population-std";

/** Every {@link AdvantageNormalization}, for option validation. */
export const advantageNormalizations: readonly AdvantageNormalization[] = [
  "none",
  "sample-std",
  "population-std",
];

/**
 * Normalises advantages over the minibatch (entries where `mask` is 1, or all entries).
 * `sample-std`: (A − mean)/(std_s + 1e-8) (CleanRL ppo.py `norm_adv`, SB3 `normalize_advantage`),
 * skipped for a single entry as SB3 does (std_s of one value is undefined).
 * `population-std`: (A − mean)/std_pop with no epsilon (Spinning Up `mpi_statistics_scalar`);
 * where std_pop = 0 every centred advantage is 0 and the result is 0 rather than 0/0.
 */
export function normalizeAdvantages(advantages: Tensor, kind: AdvantageNormalization, mask?: Tensor): Tensor {
  if (kind === "none") return advantages;
  return tf.tidy(() => {
    const m = mask ?? tf.onesLike(advantages);
    const n = tf.sum(m);
    const count = n.dataSync()[0];
    if (count <= 1) return tf.clone(advantages);
    const mean = tf.div(tf.sum(tf.mul(advantages, m)), n);
    const centred = tf.sub(advantages, mean);
    const sumSq = tf.sum(tf.mul(tf.square(centred), m));
    if (kind === "sample-std") {
      // std_s = sqrt(Σ(A − mean)²/(n − 1)); A ← (A − mean)/(std_s + 1e-8) (CleanRL ppo.py `norm_adv`)
      const std = tf.sqrt(tf.div(sumSq, tf.sub(n, 1)));
      return tf.div(centred, tf.add(std, 1e-8));
    }
    // std_pop = sqrt(Σ(A − mean)²/n); A ← (A − mean)/std_pop (Spinning Up `GAEBuffer.get`)
    const std = tf.sqrt(tf.div(sumSq, n));
    if (std.dataSync()[0] === 0) return tf.zerosLike(advantages);
    return tf.div(centred, std);
  });
}
