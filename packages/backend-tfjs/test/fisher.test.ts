import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { MlpPolicy, type MlpPolicyOptions, selectEngine } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

// An independent float64 implementation of the documented MLP (weights "pi.{i}.w" [in, out], y = x·W + b,
// tanh hidden layers, "pi.head", "pi.logStd"), used to build the Hessian of the mean KL explicitly.
interface Layout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
}

function unflatten(theta: Float64Array, layout: Layout): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  let offset = 0;
  layout.names.forEach((name, i) => {
    const size = layout.shapes[i].reduce((a, b) => a * b, 1);
    out.set(name, theta.subarray(offset, offset + size));
    offset += size;
  });
  return out;
}

function dense(x: number[], w: Float64Array, b: Float64Array, out: number): number[] {
  return Array.from({ length: out }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i * out + j], b[j]));
}

function headOutputs(
  theta: Float64Array,
  layout: Layout,
  obs: number[][],
  hidden: number[],
  n: number,
): number[][] {
  const p = unflatten(theta, layout);
  return obs.map((s) => {
    let h = s;
    hidden.forEach((width, i) => {
      h = dense(h, p.get(`pi.${i}.w`)!, p.get(`pi.${i}.b`)!, width).map(Math.tanh);
    });
    return dense(h, p.get("pi.head.w")!, p.get("pi.head.b")!, n);
  });
}

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

/** Mean over states of KL(π_old‖π_θ), float64. */
function meanKl(
  theta: Float64Array,
  old: Float64Array,
  layout: Layout,
  obs: number[][],
  opts: MlpPolicyOptions,
): number {
  const hidden = [...(opts.hidden ?? [])];
  const n = opts.action.type === "categorical" ? opts.action.n : opts.action.dim;
  const zNew = headOutputs(theta, layout, obs, hidden, n);
  const zOld = headOutputs(old, layout, obs, hidden, n);
  let total = 0;
  if (opts.action.type === "categorical") {
    zOld.forEach((zo, s) => {
      const lo = logSoftmax(zo);
      const ln = logSoftmax(zNew[s]);
      total += lo.reduce((acc, l, a) => acc + Math.exp(l) * (l - ln[a]), 0);
    });
  } else {
    const ls = unflatten(theta, layout).get("pi.logStd")!;
    const lsOld = unflatten(old, layout).get("pi.logStd")!;
    zOld.forEach((mu0, s) => {
      for (let j = 0; j < n; j++) {
        // KL(N(μ0, σ0²)‖N(μ, σ²)) = log σ − log σ0 + (σ0² + (μ0 − μ)²)/(2σ²) − ½
        const var0 = Math.exp(2 * lsOld[j]);
        const var1 = Math.exp(2 * ls[j]);
        total += ls[j] - lsOld[j] + (var0 + (mu0[j] - zNew[s][j]) ** 2) / (2 * var1) - 0.5;
      }
    });
  }
  return total / obs.length;
}

/** The Hessian of the mean KL at θ_old by central second differences in float64. */
function explicitHessian(
  old: Float64Array,
  layout: Layout,
  obs: number[][],
  opts: MlpPolicyOptions,
): Float64Array[] {
  const n = old.length;
  const h = 1e-4;
  const kl = (di: number, si: number, dj: number, sj: number) => {
    const t = Float64Array.from(old);
    t[di] += si * h;
    t[dj] += sj * h;
    return meanKl(t, old, layout, obs, opts);
  };
  return Array.from({ length: n }, (_, i) =>
    Float64Array.from(
      { length: n },
      (_, j) => (kl(i, 1, j, 1) - kl(i, 1, j, -1) - kl(i, -1, j, 1) + kl(i, -1, j, -1)) / (4 * h * h),
    ),
  );
}

const cases: Record<string, MlpPolicyOptions> = {
  categorical: { obsDim: 2, action: { type: "categorical", n: 3 }, hidden: [3], seed: 3 },
  gaussian: { obsDim: 2, action: { type: "gaussian", dim: 2, initLogStd: -0.3 }, hidden: [3], seed: 4 },
};

describe("Fisher-vector product of the mean KL (TRPO)", () => {
  for (const [label, opts] of Object.entries(cases)) {
    it(`equals the explicit Hessian of the mean KL(π_old‖π_θ) at θ_old (${label})`, () => {
      const policy = new MlpPolicy(opts);
      // Spread the head's weights so that the policy is far from uniform.
      const names = policy.policyParameterNames;
      const rng = createRng(5);
      const theta = Float64Array.from(policy.getFlatParams(names), (v) => v + 0.5 * rng.normal());
      policy.setFlatParams(theta, names);
      const old = Float64Array.from(policy.getFlatParams(names));
      const weights = policy.getWeights();
      const layout: Layout = { names, shapes: names.map((nm) => weights.get(nm)!.shape) };
      const obs = Array.from({ length: 5 }, () => [rng.normal(), rng.normal()]);
      const H = explicitHessian(old, layout, obs, opts);
      const scale = Math.max(...H.map((row) => Math.max(...row.map(Math.abs))));
      // Every column: F·e_i against H's column i.
      for (let i = 0; i < old.length; i++) {
        const e = new Float64Array(old.length);
        e[i] = 1;
        const column = policy.fisherVectorProduct(obs, e);
        for (let j = 0; j < old.length; j++)
          expect(Math.abs(column[j] - H[j][i]), `F[${j}][${i}]`).toBeLessThan(1e-4 * scale + 1e-6);
      }
      // A random vector, with damping: (F + 0.1·I)·v.
      const v = Float64Array.from(old, () => rng.normal());
      const fv = policy.fisherVectorProduct(obs, v, { damping: 0.1 });
      for (let j = 0; j < old.length; j++) {
        const expected = H[j].reduce((s, hjk, k) => s + hjk * v[k], 0) + 0.1 * v[j];
        expect(Math.abs(fv[j] - expected)).toBeLessThan(1e-3 * scale + 1e-5);
      }
      policy.dispose();
    });

    it(`computes the mean KL of a moved policy like the float64 reference (${label})`, () => {
      const policy = new MlpPolicy(opts);
      const names = policy.policyParameterNames;
      const obs = [
        [0.3, -1],
        [1.2, 0.4],
      ];
      const old = Float64Array.from(policy.getFlatParams(names));
      const oldOut = tf.keep(policy.headOutput(obs));
      const oldLogStd =
        opts.action.type === "gaussian" ? tf.keep(tf.clone(policy.variable("pi.logStd"))) : undefined;
      const rng = createRng(6);
      const moved = Float64Array.from(old, (t) => t + 0.3 * rng.normal());
      policy.setFlatParams(moved, names);
      const kl = policy.lossValue(() =>
        policy.meanKl(obs, { out: oldOut, logStd: oldLogStd as tf.Tensor1D | undefined }),
      );
      const weights = policy.getWeights();
      const layout: Layout = { names, shapes: names.map((nm) => weights.get(nm)!.shape) };
      expect(kl).toBeGreaterThan(0);
      expect(kl).toBeCloseTo(
        meanKl(Float64Array.from(policy.getFlatParams(names)), old, layout, obs, opts),
        4,
      );
      oldOut.dispose();
      oldLogStd?.dispose();
      policy.dispose();
    });
  }
});
