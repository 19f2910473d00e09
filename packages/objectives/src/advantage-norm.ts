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
    // Without a mask every entry counts: n is the size, and no ones are multiplied in.
    const n = mask ? tf.sum(mask) : tf.scalar(advantages.size);
    const count = mask ? n.dataSync()[0] : advantages.size;
    if (count <= 1) return tf.clone(advantages);
    const mean = tf.div(tf.sum(mask ? tf.mul(advantages, mask) : advantages), n);
    const centred = tf.sub(advantages, mean);
    const sumSq = tf.sum(mask ? tf.mul(tf.square(centred), mask) : tf.square(centred));
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
