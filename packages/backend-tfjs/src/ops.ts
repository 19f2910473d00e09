import { ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
// Differentiable building blocks whose backward passes use only plain (untransposed) matMul and
// kernels that every backend has. On the wasm backend a matMul with transposeA/transposeB is 3–40×
// slower than an explicit tf.transpose followed by a plain matMul, and UnsortedSegmentSum (the
// gradient of gather) is missing, so the gradients tfjs would derive itself are slow or unavailable.

/**
 * Σ over rows of a [N, d] matrix. On wasm a reduction over a non-innermost axis transposes first and
 * a matMul 1ᵀ·m re-packs m as XNNPACK weights (≈3 ms for [4096, 128]); XNNPACK's average pooling over
 * an N×1 window reads m once (≈0.3 ms), so the sum is taken as N·mean. Elsewhere it is the matMul 1ᵀ·m.
 */
export function columnSum(m: tf.Tensor2D): tf.Tensor1D {
  const [N, d] = m.shape;
  if (tf.getBackend() === "wasm" && N > 1) {
    const mean = tf.avgPool(tf.reshape(m, [1, N, 1, d]) as tf.Tensor4D, [N, 1], 1, "valid");
    return tf.reshape(tf.mul(mean, N), [d]);
  }
  return tf.reshape(tf.matMul(tf.ones([1, N]), m), [d]);
}

/**
 * mᵀ for m [A, B]. The wasm Transpose kernel writes a 2D transpose column by column, a cache miss per
 * element when A is large (≈8 ns per element for [4096, 512]); going through 16×16 tiles as two
 * 4-D permutations, each reading and writing whole cache lines, is 2–4× faster there.
 */
export function transpose2d(m: tf.Tensor2D): tf.Tensor2D {
  const [A, B] = m.shape;
  const t = 16;
  if (tf.getBackend() !== "wasm" || A < 1024 || A % t !== 0 || B % t !== 0) return tf.transpose(m);
  // [a1, a2, b1, b2] → [a1, b1, b2, a2] (each tile transposed) → [b1, b2, a1, a2] = mᵀ.
  const tiles = tf.transpose(tf.reshape(m, [A / t, t, B / t, t]), [0, 2, 3, 1]);
  return tf.reshape(tf.transpose(tiles, [1, 2, 0, 3]), [B, A]);
}

/**
 * C = A·B for A [n, p, q], B [n, q, r] without autodiff. On wasm the BatchMatMul kernel takes a slow
 * scalar path whenever both operands are batched (≈1 GFLOP/s); the same product written as a
 * depthwise convolution (channels = n, a 1×q filter per channel with r outputs) runs through XNNPACK
 * several times faster: input [1, p, q, n] = Aᵀ-arranged, filter [1, q, n, r], output [1, p, 1, n·r].
 */
export function batchedProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (tf.getBackend() !== "wasm") return tf.matMul(a, b);
  const [n, p, q] = a.shape;
  const r = b.shape[2];
  const input = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, p, q, n]) as tf.Tensor4D;
  const filter = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, q, n, r]) as tf.Tensor4D;
  const out = tf.depthwiseConv2d(input, filter, 1, "valid");
  return tf.transpose(tf.reshape(out, [p, n, r]), [1, 0, 2]);
}

/**
 * dW = xᵀ·dy for x [N, din], dy [N, dout], and db = Σ_n dy. XNNPACK re-packs the right operand of a
 * matMul whenever it is a new tensor, which halves the throughput when that operand is wide (measured
 * 128×4096×512: 6.8 vs 15 GFLOP/s), while a (tiled) transpose costs a few ns per element; so the wider
 * of x and dy is transposed and the narrower one is the right operand: dW = (dyᵀ·x)ᵀ when din ≤ dout
 * (the last transpose is only [dout, din]), else dW = xᵀ·dy.
 */
export function weightAndBiasGradients(
  x: tf.Tensor2D,
  dy: tf.Tensor2D,
): { dW: tf.Tensor2D; db: tf.Tensor1D } {
  return { dW: weightGradient(x, dy), db: columnSum(dy) };
}

/** dW = xᵀ·dy alone (see {@link weightAndBiasGradients}). */
export function weightGradient(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  if (x.shape[1] <= dy.shape[1]) return tf.transpose(tf.matMul(transpose2d(dy), x)) as tf.Tensor2D;
  return tf.matMul(transpose2d(x), dy);
}

/** y = x·W + b for x [N, din], W [din, dout], b [dout]; dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_n dy. */
export const linear: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: any) => {
    save([x, w]);
    // The bias is added inside the matMul kernel (one pass less over the output).
    const value = tf.fused.matMul({ a: x, b: w, bias: b });
    return {
      value,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const { dW, db } = weightAndBiasGradients(xs, dy);
        return [tf.matMul(dy, tf.transpose(ws)), dW, db];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/** y = x·W (no bias) with the same explicit-transpose gradients as {@link linear}. */
export const matmulNoBias: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((x: tf.Tensor2D, w: tf.Tensor2D, save: any) => {
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, tf.transpose(ws)), weightGradient(xs, dy)];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/** Batched C = A·B for A [n, p, q], B [n, q, r]; dA = dC·Bᵀ, dB = Aᵀ·dC with explicit transposes. */
export const batchMatmul: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((a: tf.Tensor3D, b: tf.Tensor3D, save: any) => {
    save([a, b]);
    return {
      value: batchedProduct(a, b),
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
        return [
          batchedProduct(dy, tf.transpose(bs, [0, 2, 1]) as tf.Tensor3D),
          batchedProduct(tf.transpose(as, [0, 2, 1]) as tf.Tensor3D, dy),
        ];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/**
 * Row lookup `table[ids]` for table [R, d] and int32 ids [N] (embeddings, picking positions). The
 * gradient scatters dy back with ScatterNd (duplicates add up) instead of the UnsortedSegmentSum tfjs
 * would use, which wasm lacks. The ids get a zero gradient. On wasm the Gather kernel costs ≈40 ns per
 * gathered element, so a table of at most 256 rows is read as the product onehot(ids)·table (exact:
 * each output is one table entry times 1 plus zeros), ≈5× faster there.
 */
export const gatherRows: (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((table: tf.Tensor2D, ids: tf.Tensor1D, save: any) => {
    save([ids]);
    const shape = table.shape;
    return {
      value: lookupRows(table, ids),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [idsSaved] = saved as [tf.Tensor1D];
        return [tf.scatterND(tf.expandDims(idsSaved, 1), dy, shape), tf.zerosLike(idsSaved)];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/**
 * Token + position embedding x[b·T + t] = table[ids[b·T + t]] + positions[t] for table [R, d], positions
 * [T, d] and int32 ids [B·T], as rows [B·T, d]. The row lookup is {@link gatherRows}'s; the gradient of
 * the positions sums dy over the batch as a column sum of dy viewed as [B, T·d] (autodiff of the
 * broadcast add would reduce over a non-innermost axis, which wasm does by transposing first).
 */
export const embedTokens: (table: tf.Tensor2D, positions: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D =
  tf.customGrad(
    // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
    ((table: tf.Tensor2D, positions: tf.Tensor2D, ids: tf.Tensor1D, save: any) => {
      save([ids]);
      const [T, d] = positions.shape;
      const N = ids.shape[0];
      const value = tf.reshape(tf.add(tf.reshape(lookupRows(table, ids), [N / T, T, d]), positions), [
        N,
        d,
      ]) as tf.Tensor2D;
      return {
        value,
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
          const [idsSaved] = saved as [tf.Tensor1D];
          return [
            tf.scatterND(tf.expandDims(idsSaved, 1), dy, table.shape),
            tf.reshape(columnSum(tf.reshape(dy, [N / T, T * d]) as tf.Tensor2D), [T, d]),
            tf.zerosLike(idsSaved),
          ];
        },
      };
      // biome-ignore lint/suspicious/noExplicitAny: see above.
    }) as any,
  ) as never;

/** table[ids] without autodiff: one-hot matMul for small tables on wasm (see {@link gatherRows}). */
function lookupRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const rows = table.shape[0];
  return tf.getBackend() === "wasm" && rows <= 256
    ? // int32 one-hot then a cast: the wasm OneHot kernel writes int32 data whatever dtype is asked.
      tf.matMul(tf.cast(tf.oneHot(ids, rows), "float32"), table)
    : tf.gather(table, ids);
}

/**
 * a + b for two tensors of one shape (the residual stream), with the gradient dy for both. The
 * registered Add gradient keeps a copy of both inputs for their shapes, which a same-shape sum does not
 * need.
 */
export const addSameShape: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((
  a: tf.Tensor2D,
  b: tf.Tensor2D,
) => {
  if (a.shape.some((n, i) => n !== b.shape[i]) || a.rank !== b.rank) {
    throw new ShapeError("residual sum", `[${a.shape}]`, `[${b.shape}]`);
  }
  return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor2D) => [dy, dy] };
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
}) as any) as never;

/**
 * e^x for x ≤ 0 (shifted logits). On wasm the Exp kernel is scalar while Sigmoid is vectorised, and
 * e^x = σ(x)/σ(−x) exactly, so two sigmoids and a division are about twice as fast (relative error
 * below 1e-6; −∞ and very negative x still give 0).
 */
export function expNonPositive(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== "wasm") return tf.exp(x);
  return tf.div(tf.sigmoid(x), tf.sigmoid(tf.neg(x)));
}

/**
 * Softmax over the last axis as exp(z − max)/Σ exp(z − max) with the backward
 * dz = p·(dp − Σ p·dp): fewer kernels than the built-in Softmax's gradient, and the wasm Softmax kernel
 * itself is slower than these elementwise kernels.
 */
export const softmax: (z: tf.Tensor) => tf.Tensor = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((z: tf.Tensor, save: any) => {
    const e = expNonPositive(tf.sub(z, tf.max(z, -1, true)));
    const p = tf.div(e, tf.sum(e, -1, true));
    save([p]);
    return {
      value: p,
      gradFunc: (dp: tf.Tensor, saved: tf.Tensor[]) => {
        const [ps] = saved;
        return [tf.mul(ps, tf.sub(dp, tf.sum(tf.mul(ps, dp), -1, true)))];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/**
 * LayerNorm over the last axis of x [N, d] (Ba et al. 2016, eq. 15–16; PyTorch `nn.LayerNorm`, biased
 * variance, eps inside the square root): y = (x − μ)/√(σ² + eps)·γ + β. The hand-written backward
 * (dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = dy·γ) needs far fewer kernels than autodiff of the
 * forward.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  return layerNormOp(x, gamma, beta, tf.scalar(eps));
}

const layerNormOp: (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps: tf.Scalar) => tf.Tensor2D =
  tf.customGrad(
    // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
    ((x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: tf.Scalar, save: any) => {
      const mu = tf.mean(x, -1, true);
      const xc = tf.sub(x, mu);
      const variance = tf.mean(tf.square(xc), -1, true);
      const rstd = tf.rsqrt(tf.add(variance, eps));
      const xhat = tf.mul(xc, rstd);
      save([xhat, rstd, gamma]);
      return {
        value: tf.add(tf.mul(xhat, gamma), beta),
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
          const [xh, rs, g] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
          const ghat = tf.mul(dy, g);
          const meanG = tf.mean(ghat, -1, true);
          const meanGX = tf.mean(tf.mul(ghat, xh), -1, true);
          const dx = tf.mul(rs, tf.sub(tf.sub(ghat, meanG), tf.mul(xh, meanGX)));
          return [dx, columnSum(tf.mul(dy, xh) as tf.Tensor2D), columnSum(dy), tf.zerosLike(eps)];
        },
      };
      // biome-ignore lint/suspicious/noExplicitAny: see above.
    }) as any,
  ) as never;

// √(2/π), the constant of the tanh approximation of GELU.
const GELU_C = Math.sqrt(2 / Math.PI);

/** x² and σ(2u) with 2u = 2·√(2/π)·(x + 0.044715·x³): gelu(x) = x·σ(2u) (tanh form, see {@link gelu}). */
function geluSigmoid(x: tf.Tensor): { x2: tf.Tensor; s: tf.Tensor } {
  const x2 = tf.square(x);
  return { x2, s: tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, 2 * GELU_C * 0.044715), 2 * GELU_C))) };
}

/** 2u'(x) = 2√(2/π)(1 + 3·0.044715·x²) from x², for gelu'(x) = σ + x·σ(1 − σ)·2u'. */
function geluTwoUPrime(x2: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(x2, 2 * GELU_C * 3 * 0.044715), 2 * GELU_C);
}

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016 §2; GPT-2 `gelu`, PyTorch `approximate="tanh"`):
 * 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), computed as x·σ(2u) since 0.5(1 + tanh u) = σ(2u) and the
 * wasm sigmoid kernel is several times faster than its tanh.
 */
export const gelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((x: tf.Tensor, save: any) => {
    const { x2, s } = geluSigmoid(x);
    save([x, x2, s]);
    return {
      value: tf.mul(x, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, x2s, ss] = saved;
        // d/dx [x·σ(2u)] = σ + x·σ(1 − σ)·2u'(x)
        const grad = tf.add(ss, tf.mul(tf.mul(xs, tf.mul(ss, tf.sub(1, ss))), geluTwoUPrime(x2s)));
        return [tf.mul(dy, grad)];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/**
 * {@link linear} applied to {@link gelu}: gelu(h)·W + b in one op, the MLP's second half. Its backward
 * saves one tensor and one kernel against the two ops: gelu(h) is saved once (the separate ops each
 * keep a copy), and gelu'(h) = σ + h·σ(1 − σ)·2u' is taken as σ + f·(1 − σ)·2u' with f = h·σ.
 */
export const geluLinear: (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: any) => {
    const { x2: h2, s } = geluSigmoid(h);
    const f = tf.mul(h, s) as tf.Tensor2D; // gelu(h) = h·σ(2u)
    save([h2, s, f, w]);
    return {
      value: tf.fused.matMul({ a: f, b: w, bias: b }),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [h2s, ss, fs, ws] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const df = tf.matMul(dy, tf.transpose(ws));
        const { dW, db } = weightAndBiasGradients(fs, dy);
        const grad = tf.add(ss, tf.mul(tf.mul(fs, tf.sub(1, ss)), geluTwoUPrime(h2s)));
        return [tf.mul(df, grad), dW, db];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/**
 * log softmax over the last axis, stable form z − max − log Σ exp(z − max). Its gradient is left to
 * autodiff of these elementary ops so that second-order gradients stay available.
 */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  const shifted = tf.sub(logits, tf.max(logits, -1, true));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
}

/**
 * log p(target) for logits [N, V] and int32 targets [N]: the log-softmax picked with a one-hot mask.
 * Gradient: d logits = dy·(onehot − softmax), written out so it costs one softmax.
 */
export const pickLogProbs: (logits: tf.Tensor2D, targets: tf.Tensor1D) => tf.Tensor1D = tf.customGrad(
  // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
  ((logits: tf.Tensor2D, targets: tf.Tensor1D, save: any) => {
    const vocab = logits.shape[1];
    const oneHot = tf.cast(tf.oneHot(targets, vocab), "float32");
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const expShifted = expNonPositive(shifted);
    const sumExp = tf.sum(expShifted, -1, true);
    const logp = tf.sub(shifted, tf.log(sumExp));
    const probs = tf.div(expShifted, sumExp);
    save([oneHot, probs, targets]);
    return {
      value: tf.sum(tf.mul(logp, oneHot), -1),
      gradFunc: (dy: tf.Tensor1D, saved: tf.Tensor[]) => {
        const [oh, p, t] = saved;
        return [tf.mul(tf.expandDims(dy, 1), tf.sub(oh, p)), tf.zerosLike(t)];
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: see above.
  }) as any,
) as never;

/** Entropy −Σ p log p of the softmax over the last axis (autodiff through {@link logSoftmax}). */
export function softmaxEntropy(logits: tf.Tensor): tf.Tensor {
  const logp = logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
}

/** tf.tidy for a scope that returns plain values (numbers, typed arrays) rather than tensors. */
export function tidyValue<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
