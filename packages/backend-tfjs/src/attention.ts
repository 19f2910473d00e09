import * as tf from "@tensorflow/tfjs-core";
import { weightAndBiasGradients } from "./ops.js";

const causalMasks = new Map<number, Float32Array>();

/** Additive causal mask [T, T]: 0 on and below the diagonal, −1e9 above (future positions). */
export function causalMask(T: number): Float32Array {
  let mask = causalMasks.get(T);
  if (!mask) {
    mask = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
    causalMasks.set(T, mask);
  }
  return mask;
}

/**
 * out[p, c, r] = Σ_q input[p, q, c]·filter[q, c, r]: one independent matrix product per channel c,
 * run as a depthwise convolution (input [1, p, q, C], a 1×q filter per channel with r outputs), which
 * XNNPACK executes several times faster than wasm's scalar batched-matmul path.
 */
function channelProduct(input: tf.Tensor3D, filter: tf.Tensor3D): tf.Tensor3D {
  const [p, q, C] = input.shape;
  const r = filter.shape[2];
  const out = tf.depthwiseConv2d(
    tf.reshape(input, [1, p, q, C]) as tf.Tensor4D,
    tf.reshape(filter, [1, q, C, r]) as tf.Tensor4D,
    1,
    "valid",
  );
  return tf.reshape(out, [p, C, r]);
}

/**
 * Causal multi-head self-attention including the q/k/v projection, fused into one op for the wasm
 * backend: y = concat_h softmax(q_h·k_hᵀ/√dh + mask)·v_h with [q | k | v] = x·wqkv + bqkv, for
 * x [B·T, d] (rows = (batch, position)), returning [B·T, d] before the output projection. The same
 * maths as the unfused path in `GptModel.forward` (Vaswani et al. 2017 eq. 1), but every tensor is
 * laid out so that the per-head products are depthwise convolutions over channels c = h·B + b and the
 * layout changes are rank-4 transposes of the projections (k and v are kept in their row layout
 * [b, t, h, j]) or of the gradient dy, plus outer-axis swaps [t, j, c] → [j, t, c] of q and dy that move
 * whole rows of channels; only P and dS are transposed as [t, c, s] → [t, s, c]. The 1/√dh is folded into
 * the q projection (q' = x·(wq/√dh) + bq/√dh), and the softmax is the wasm Softmax kernel. The backward
 * pass is written out (softmax: dS = P⊙(dP − ΣP⊙dP)); dK and dV come out as [j, c, s], which needs no
 * transpose of P or dS.
 */
export function fusedCausalAttention(
  x: tf.Tensor2D,
  wqkv: tf.Tensor2D,
  bqkv: tf.Tensor1D,
  B: number,
  T: number,
  H: number,
): tf.Tensor2D {
  const d = x.shape[1];
  const dh = d / H;
  const C = H * B;
  const N = B * T;
  const scale = 1 / Math.sqrt(dh);
  const mask = tf.tensor3d(causalMask(T), [T, 1, T]);
  // Row layout [b, t, h, j] (rows of x·W) → a [p, q, c]-style layout given by `perm` and `shape`.
  const arrange = (rows: tf.Tensor, perm: number[], shape: [number, number, number]) =>
    tf.reshape(tf.transpose(rows, perm), shape) as tf.Tensor3D;
  // [t, c, j] (as [T, H, B, dh]) → rows [N, d], and [j, c, s] (as [dh, H, B, T]) → rows [N, d].
  const rowsFromTCJ = (g: tf.Tensor3D) =>
    tf.reshape(tf.transpose(tf.reshape(g, [T, H, B, dh]), [2, 0, 1, 3]), [N, d]);
  const rowsFromJCS = (g: tf.Tensor3D) =>
    tf.reshape(tf.transpose(tf.reshape(g, [dh, H, B, T]), [2, 3, 1, 0]), [N, d]);
  const op = tf.customGrad(
    // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
    ((xIn: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: any) => {
      const project = (i: number, factor: number) => {
        let wi = tf.slice(w, [0, i * d], [d, d]) as tf.Tensor2D;
        let bi = tf.slice(b, [i * d], [d]) as tf.Tensor1D;
        if (factor !== 1) {
          wi = tf.mul(wi, factor);
          bi = tf.mul(bi, factor);
        }
        return tf.reshape(tf.fused.matMul({ a: xIn, b: wi, bias: bi }), [B, T, H, dh]);
      };
      const qRows = project(0, scale);
      const kRows = project(1, 1);
      const vRows = project(2, 1);
      const Q = arrange(qRows, [1, 3, 2, 0], [T, dh, C]); // [t, j, c]
      const K = arrange(kRows, [3, 2, 0, 1], [dh, C, T]); // [j, c, s]
      const V = arrange(vRows, [1, 2, 0, 3], [T, C, dh]); // [s, c, j]
      // S[t, c, s] = Σ_j q'·k + mask;  P = softmax over s
      const P = tf.softmax(tf.add(channelProduct(Q, K), mask)) as tf.Tensor3D;
      // Y[t, c, j] = Σ_s P[t, c, s]·v[s, c, j]
      const Y = channelProduct(tf.transpose(P, [0, 2, 1]) as tf.Tensor3D, V);
      save([xIn, w, Q, kRows, vRows, P]);
      return {
        value: rowsFromTCJ(Y),
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
          const [xs, ws, Qs, kR, vR, Ps] = saved as [
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor3D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor3D,
          ];
          // dY as [t, j, c]; its [j, t, c] form swaps the outer axes only (whole rows of c move).
          const dYtjc = arrange(tf.reshape(dy, [B, T, H, dh]), [1, 3, 2, 0], [T, dh, C]);
          // dP[t, c, s] = Σ_j dY[t, c, j]·v[s, c, j]
          const dP = channelProduct(dYtjc, arrange(vR, [3, 2, 0, 1], [dh, C, T]));
          // dVᵀ[j, c, s] = Σ_t dY[t, c, j]·P[t, c, s]
          const dVt = channelProduct(tf.transpose(dYtjc, [1, 0, 2]) as tf.Tensor3D, Ps);
          // Softmax backward: dS = P⊙(dP − Σ_s P⊙dP), the gradient of the scores S = q'·k.
          const dS = tf.mul(Ps, tf.sub(dP, tf.sum(tf.mul(Ps, dP), -1, true))) as tf.Tensor3D;
          // dq'[t, c, j] = Σ_s dS[t, c, s]·k[s, c, j], and dq = dq'/√dh since q' = q/√dh.
          const dQ = tf.mul(
            channelProduct(tf.transpose(dS, [0, 2, 1]) as tf.Tensor3D, arrange(kR, [1, 2, 0, 3], [T, C, dh])),
            scale,
          ) as tf.Tensor3D;
          // dKᵀ[j, c, s] = Σ_t q'[t, c, j]·dS[t, c, s]
          const dKt = channelProduct(tf.transpose(Qs, [1, 0, 2]) as tf.Tensor3D, dS);
          const dqkv = tf.concat([rowsFromTCJ(dQ), rowsFromJCS(dKt), rowsFromJCS(dVt)], 1) as tf.Tensor2D;
          const { dW, db } = weightAndBiasGradients(xs, dqkv);
          return [tf.matMul(dqkv, tf.transpose(ws)), dW, db];
        },
      };
      // biome-ignore lint/suspicious/noExplicitAny: see above.
    }) as any,
  ) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(x, wqkv, bqkv);
}
