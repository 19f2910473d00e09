/**
 * Running mean and variance of a stream of vectors (Gymnasium `wrappers/utils.py::RunningMeanStd`,
 * the parallel-variance update of Chan et al. 1979). Starts at mean 0, var 1, count `epsilon`.
 */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(size: number, epsilon = 1e-4) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  /** Adds one sample (a batch of one: batch mean = x, batch var = 0, batch count = 1). */
  update(x: ArrayLike<number>): void {
    const batchCount = 1;
    const totCount = this.count + batchCount;
    for (let i = 0; i < this.mean.length; i++) {
      // Gymnasium update_mean_var_count_from_moments with batch_var = 0.
      const delta = x[i] - this.mean[i];
      const mA = this.var[i] * this.count;
      const M2 = mA + (delta * delta * this.count * batchCount) / totCount;
      this.mean[i] = this.mean[i] + (delta * batchCount) / totCount;
      this.var[i] = M2 / totCount;
    }
    this.count = totCount;
  }
}
