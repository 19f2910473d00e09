import type { Rng } from "@rlts/core";

/** N(0, std²) values drawn from `rng` (Box–Muller in `Rng.normal`), so every engine gets the same init. */
export function normalInit(rng: Rng, size: number, std: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/**
 * A [rows, cols] row-major matrix with orthonormal rows or columns (whichever are fewer), times `gain`:
 * the init CleanRL uses (`torch.nn.init.orthogonal_`, Saxe et al. 2014). A Gaussian matrix is
 * orthonormalised by modified Gram–Schmidt in float64; the sign of each vector follows the Gaussian
 * draw, as QR with a positive-diagonal R would give.
 */
export function orthogonalInit(rng: Rng, rows: number, cols: number, gain: number): Float32Array {
  const out = new Float32Array(rows * cols);
  if (gain === 0) return out;
  // Orthonormalise `k` vectors of length `n` (k ≤ n), then lay them out as rows or columns.
  const transpose = rows > cols;
  const k = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  const vectors: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const v = new Float64Array(n);
    for (let j = 0; j < n; j++) v[j] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const u of vectors) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += u[j] * v[j];
        for (let j = 0; j < n; j++) v[j] -= dot * u[j];
      }
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += v[j] * v[j];
    norm = Math.sqrt(norm);
    for (let j = 0; j < n; j++) v[j] /= norm;
    vectors.push(v);
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) {
      const value = vectors[i][j] * gain;
      if (transpose) out[j * cols + i] = value;
      else out[i * cols + j] = value;
    }
  }
  return out;
}
