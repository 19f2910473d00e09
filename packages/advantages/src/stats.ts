import { mean, standardDeviation } from "@rlts/core";
import type { StdKind } from "./options.js";

/** Whether every entry of `x` is the same number (then any centred, scaled value is exactly 0). */
export function allEqual(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return false;
  return true;
}

/** How whole-batch advantage normalisation computes its scale. */
export interface NormalizeSettings {
  readonly std: StdKind;
  readonly epsilon: number;
}

/**
 * Whole-buffer advantage normalisation `(A − mean)/(std + ε)` in place (Spinning Up `GAEBuffer.get`:
 * population std, no ε; CleanRL/SB3 per minibatch: sample std + 1e-8).
 * One value is left unchanged (SB3 skips normalising a batch of one, where 0/0 would follow); an
 * all-equal batch becomes exactly 0 instead of rounding noise divided by rounding noise.
 */
export function normalizeInPlace(a: Float64Array, settings: NormalizeSettings): void {
  if (a.length <= 1) return;
  if (allEqual(a)) {
    a.fill(0);
    return;
  }
  const m = mean(a);
  const s = standardDeviation(a, { sample: settings.std === "sample", center: m });
  // Â = (A − mean)/(std + ε)  (Spinning Up `mpi_statistics_scalar`; CleanRL ppo.py `norm_adv`).
  const denom = s + settings.epsilon;
  for (let i = 0; i < a.length; i++) a[i] = (a[i] - m) / denom;
}
