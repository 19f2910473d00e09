/**
 * Arithmetic mean of `values`: NaN when there are none (a mean of nothing is undefined; callers that
 * log metrics leave non-finite values out rather than inventing a 0).
 */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/**
 * Standard deviation of `values` around `center` (default their mean): population sqrt(Σ(x − m)²/n),
 * or the sample (Bessel) std sqrt(Σ(x − m)²/(n − 1)) with `sample: true` (`torch.std`'s default). One
 * value has sample std 0, as TRL forces it for a group of one; none gives NaN.
 */
export function standardDeviation(
  values: ArrayLike<number>,
  options: { readonly sample?: boolean; readonly center?: number } = {},
): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const m = options.center ?? mean(values);
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - m;
    sumSq += d * d;
  }
  const dof = options.sample ? n - 1 : n;
  return dof > 0 ? Math.sqrt(sumSq / dof) : 0;
}
