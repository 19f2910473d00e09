import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { columnSum, linear, selectEngine, transpose2d } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

// The wasm-only formulations (tiled transposes of tall matrices, column sums by average pooling) only
// switch on at training-batch sizes, which the small conformance models never reach; these tests run
// them at such sizes against plain float64 loops.

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * cols }, () => rng.normal());
}

describe("large-shape kernels on wasm", () => {
  it("transpose2d matches an element-by-element transpose for tall, wide and untiled shapes", () => {
    for (const [rows, cols] of [
      [2048, 48],
      [1024, 512],
      [1000, 32],
      [1024, 20],
      [64, 4096],
    ]) {
      // Distinct integers (exact in float32), so any misplaced element shows.
      const data = Float32Array.from({ length: rows * cols }, (_, k) => k);
      const got = tf.tidy(() => transpose2d(tf.tensor2d(data, [rows, cols])).dataSync() as Float32Array);
      expect(got.length).toBe(rows * cols);
      let mismatches = 0;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) if (got[j * rows + i] !== data[i * cols + j]) mismatches++;
      }
      expect(mismatches, `[${rows}, ${cols}]`).toBe(0);
    }
  });

  it("columnSum matches float64 column sums (relative error of float32 summation)", () => {
    for (const [rows, cols] of [
      [4096, 128],
      [3, 5],
      [1, 4],
    ]) {
      const data = randomMatrix(rows, cols, 7 * rows + cols);
      const got = tf.tidy(() => columnSum(tf.tensor2d(data, [rows, cols])).dataSync() as Float32Array);
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        let abs = 0;
        for (let i = 0; i < rows; i++) {
          sum += data[i * cols + j];
          abs += Math.abs(data[i * cols + j]);
        }
        // float32 accumulation error is bounded by ~n·eps·Σ|x|; 1e-5·Σ|x| is far above it for n ≤ 4096.
        expect(Math.abs(got[j] - sum)).toBeLessThan(1e-5 * abs + 1e-6);
      }
    }
  });

  it("linear's gradients at 1024 rows equal xᵀ·dy, Σ dy and dy·Wᵀ computed in float64", () => {
    const [N, din, dout] = [1024, 48, 80];
    const x = randomMatrix(N, din, 1);
    const w = randomMatrix(din, dout, 2);
    const b = randomMatrix(1, dout, 3);
    const dy = randomMatrix(N, dout, 4);
    const check = (got: Float32Array, want: Float64Array, label: string) => {
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      // Entries are sums of ≤ 1024 products of unit normals (|value| ≲ 100): float32 error ≲ 1e-3.
      expect(worst, label).toBeLessThan(2e-3);
    };
    for (const [di, dO] of [
      [din, dout],
      [dout, din],
    ]) {
      const xs = di === din ? x : randomMatrix(N, di, 5);
      const ws = di === din ? w : randomMatrix(di, dO, 6);
      const bs = dO === dout ? b : randomMatrix(1, dO, 7);
      const dys = dO === dout ? dy : randomMatrix(N, dO, 8);
      const [gx, gw, gb] = tf.tidy(() => {
        const g = tf.grads((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
          linear(xt as tf.Tensor2D, wt as tf.Tensor2D, bt as tf.Tensor1D),
        );
        return g(
          [tf.tensor2d(xs, [N, di]), tf.tensor2d(ws, [di, dO]), tf.tensor1d(bs)],
          tf.tensor2d(dys, [N, dO]),
        ).map((t) => t.dataSync() as Float32Array);
      });
      const wantW = new Float64Array(di * dO);
      const wantB = new Float64Array(dO);
      const wantX = new Float64Array(N * di);
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < dO; o++) {
          const g = dys[n * dO + o];
          wantB[o] += g;
          for (let i = 0; i < di; i++) {
            wantW[i * dO + o] += xs[n * di + i] * g;
            wantX[n * di + i] += g * ws[i * dO + o];
          }
        }
      }
      check(gw, wantW, `dW ${di}→${dO}`);
      check(gb, wantB, `db ${di}→${dO}`);
      check(gx, wantX, `dx ${di}→${dO}`);
    }
  });
});
