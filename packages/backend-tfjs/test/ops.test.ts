import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { columnSum, GptModel, gatherRows, linear, selectEngine, transpose2d } from "../src/index.js";

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

  it("gatherRows reads table rows and scatters gradients back like plain indexing", () => {
    const [R, d] = [40, 6];
    const table = randomMatrix(R, d, 11);
    const ids = Int32Array.from({ length: 300 }, (_, k) => (k * 17 + (k >> 3)) % R);
    const dy = randomMatrix(ids.length, d, 12);
    const [value, grad] = tf.tidy(() => {
      const t = tf.tensor2d(table, [R, d]);
      const idT = tf.tensor1d(ids, "int32");
      const g = tf.grad((tt: tf.Tensor) => gatherRows(tt as tf.Tensor2D, idT))(
        t,
        tf.tensor2d(dy, [ids.length, d]),
      );
      return [gatherRows(t, idT).dataSync() as Float32Array, g.dataSync() as Float32Array];
    });
    const want = new Float64Array(R * d);
    ids.forEach((id, n) => {
      for (let j = 0; j < d; j++) {
        expect(value[n * d + j]).toBe(table[id * d + j]);
        want[id * d + j] += dy[n * d + j];
      }
    });
    for (let k = 0; k < want.length; k++) expect(Math.abs(grad[k] - want[k])).toBeLessThan(1e-5);
  });
});

describe("the wasm formulations agree with the cpu backend's straightforward ones", () => {
  it("GPT logits and gradients at 1024 rows (fused attention, tiled transposes, pooled sums, one-hot lookup)", async () => {
    // cpu runs the unfused attention with plain kernels: an independent formulation of the same model.
    const config = { vocabSize: 40, contextLength: 64, dModel: 32, nLayers: 1, nHeads: 2, dFF: 64 };
    const rng = createRng(3);
    const batch = Array.from({ length: 16 }, () => Int32Array.from({ length: 64 }, () => rng.int(40)));
    const ids = new Int32Array(16 * 64);
    batch.forEach((seq, b) => {
      ids.set(seq, b * 64);
    });
    const run = async (prefer: "wasm" | "cpu") => {
      await selectEngine({ prefer, log: () => {} });
      const model = new GptModel({ ...config, seed: 4, initStd: 0.2 });
      const logits = tf.tidy(
        () => model.forward(tf.tensor1d(ids, "int32"), 16, 64).dataSync() as Float32Array,
      );
      const { loss, gradient } = model.flatGradient(() => model.languageModelLoss(batch));
      model.dispose();
      return { logits, loss, gradient };
    };
    const cpu = await run("cpu");
    const wasm = await run("wasm");
    let worstLogit = 0;
    for (let i = 0; i < cpu.logits.length; i++) {
      worstLogit = Math.max(worstLogit, Math.abs(cpu.logits[i] - wasm.logits[i]));
    }
    expect(worstLogit).toBeLessThan(1e-4);
    expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThan(1e-5);
    let worstGrad = 0;
    let scale = 0;
    for (let i = 0; i < cpu.gradient.length; i++) {
      worstGrad = Math.max(worstGrad, Math.abs(cpu.gradient[i] - wasm.gradient[i]));
      scale = Math.max(scale, Math.abs(cpu.gradient[i]));
    }
    expect(worstGrad).toBeLessThan(1e-4 * scale);
  });
});
