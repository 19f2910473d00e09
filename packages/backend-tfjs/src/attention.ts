import * as tf from "@tensorflow/tfjs-core";
import { expNonPositive, weightAndBiasGradients } from "./ops.js";

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
 * layout changes are a few rank-≤4 transposes: q as [t, j, c], k as [j, c, s], v as [s, c, j], scores
 * and probabilities as [t, c, s]. The backward pass is written out (softmax: dS = P⊙(dP − ΣP⊙dP)).
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
  // [t|s, c, j] with c = h·B + b ↔ rows (b, t) × columns (h, j).
  const toRows = (g: tf.Tensor3D) =>
    tf.reshape(tf.transpose(tf.reshape(g, [T, H, B, dh]), [2, 0, 1, 3]), [N, d]);
  const op = tf.customGrad(
    // biome-ignore lint/suspicious/noExplicitAny: tfjs customGrad's signature is untyped varargs.
    ((xIn: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: any) => {
      const project = (i: number) =>
        tf.reshape(tf.add(tf.matMul(xIn, tf.slice(w, [0, i * d], [d, d])), tf.slice(b, [i * d], [d])), [
          B,
          T,
          H,
          dh,
        ]);
      const Q = tf.reshape(tf.transpose(project(0), [1, 3, 2, 0]), [T, dh, C]) as tf.Tensor3D; // [t, j, c]
      const K = tf.reshape(tf.transpose(project(1), [3, 2, 0, 1]), [dh, C, T]) as tf.Tensor3D; // [j, c, s]
      const V = tf.reshape(tf.transpose(project(2), [1, 2, 0, 3]), [T, C, dh]) as tf.Tensor3D; // [s, c, j]
      // S[t, c, s] = Σ_j q·k /√dh + mask;  P = softmax over s
      const S = tf.add(tf.mul(channelProduct(Q, K), scale), mask);
      const E = expNonPositive(tf.sub(S, tf.max(S, -1, true)));
      const P = tf.div(E, tf.sum(E, -1, true)) as tf.Tensor3D;
      // Y[t, c, j] = Σ_s P[t, c, s]·v[s, c, j]
      const Y = channelProduct(tf.transpose(P, [0, 2, 1]) as tf.Tensor3D, V);
      save([xIn, w, Q, K, V, P]);
      return {
        value: toRows(Y),
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
          const [xs, ws, Qs, Ks, Vs, Ps] = saved as [
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor3D,
            tf.Tensor3D,
            tf.Tensor3D,
            tf.Tensor3D,
          ];
          const dY = tf.reshape(tf.transpose(tf.reshape(dy, [B, T, H, dh]), [1, 2, 0, 3]), [
            T,
            C,
            dh,
          ]) as tf.Tensor3D;
          // dP[t, c, s] = Σ_j dY[t, c, j]·v[s, c, j];  dV[s, c, j] = Σ_t P[t, c, s]·dY[t, c, j]
          const dP = channelProduct(
            tf.transpose(dY, [0, 2, 1]) as tf.Tensor3D,
            tf.transpose(Vs, [2, 1, 0]) as tf.Tensor3D,
          );
          const dV = channelProduct(tf.transpose(Ps, [2, 0, 1]) as tf.Tensor3D, dY);
          // Softmax backward, then the 1/√dh of the scores.
          const dS = tf.mul(tf.mul(Ps, tf.sub(dP, tf.sum(tf.mul(Ps, dP), -1, true))), scale);
          // dQ[t, c, j] = Σ_s dS[t, c, s]·k[s, c, j];  dK[s, c, j] = Σ_t dS[t, c, s]·q[t, c, j]
          const dQ = channelProduct(
            tf.transpose(dS, [0, 2, 1]) as tf.Tensor3D,
            tf.transpose(Ks, [2, 1, 0]) as tf.Tensor3D,
          );
          const dK = channelProduct(
            tf.transpose(dS, [2, 0, 1]) as tf.Tensor3D,
            tf.transpose(Qs, [0, 2, 1]) as tf.Tensor3D,
          );
          const dqkv = tf.concat([toRows(dQ), toRows(dK), toRows(dV)], 1) as tf.Tensor2D;
          const { dW, db } = weightAndBiasGradients(xs, dqkv);
          return [tf.matMul(dqkv, tf.transpose(ws)), dW, db];
        },
      };
      // biome-ignore lint/suspicious/noExplicitAny: see above.
    }) as any,
  ) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(x, wqkv, bqkv);
}
