import { createRng, type TrustRegionProblem } from "@rlts/core";
import { beforeAll, describe, expect, it } from "vitest";
import { conjugateGradient, TrpoObjective, trpoStep, trpoSurrogateLoss } from "../src/index.js";
import {
  centralDifferences,
  expectGradientsClose,
  expectNoLeak,
  gradientAt,
  take,
  tf,
  useCpu,
} from "./helpers.js";

beforeAll(useCpu);

/** Solves M·x = b by Gaussian elimination with partial pivoting, in float64. */
function solve(M: number[][], b: number[]): number[] {
  const n = b.length;
  const a = M.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

const matVec = (M: number[][]) => (v: Float64Array) =>
  Float64Array.from(M.map((row) => row.reduce((s, m, j) => s + m * v[j], 0)));

describe("conjugateGradient on a damped 3×3 system (Spinning Up and sb3-contrib loops)", () => {
  const A = [
    [4, 1, 0.5],
    [1, 3, 0.2],
    [0.5, 0.2, 2],
  ];
  const g = Float64Array.from([1, -2, 0.5]);
  // damping 0.1 is applied as A + 0.1·I
  const damped = A.map((row, i) => row.map((v, j) => v + (i === j ? 0.1 : 0)));
  const exact = solve(damped, [...g]);

  it("the exact solve satisfies (A + 0.1 I)x = g", () => {
    const back = matVec(damped)(Float64Array.from(exact));
    for (let i = 0; i < 3; i++) expect(back[i]).toBeCloseTo(g[i], 13);
  });

  it("sb3 variant (x0 = 0, residual tolerance) matches the exact solve to 1e-12", () => {
    const x = conjugateGradient(matVec(A), g, { variant: "sb3", iterations: 10, damping: 0.1 });
    for (let i = 0; i < 3; i++) expect(Math.abs(x[i] - exact[i])).toBeLessThan(1e-12);
  });

  it("Spinning Up variant keeps its 1e-8 in α: close to the exact solve but off by ~1e-7", () => {
    const x = conjugateGradient(matVec(A), g, { iterations: 10, damping: 0.1 });
    const err = Math.max(...[0, 1, 2].map((i) => Math.abs(x[i] - exact[i])));
    expect(err).toBeLessThan(1e-6);
    expect(err).toBeGreaterThan(1e-9);
    // the damping option equals passing a damped product
    const viaProduct = conjugateGradient(matVec(damped), g, { iterations: 10 });
    for (let i = 0; i < 3; i++) expect(viaProduct[i]).toBeCloseTo(x[i], 14);
  });

  it("one Spinning Up iteration on a 1×1 system is b²/(b·a·b + 1e-8)·b", () => {
    // a = 4 + 0.1, b = 1: x = 1/(4.1 + 1e-8); sb3: x = 1/4.1
    const one = (v: Float64Array) => Float64Array.from([4 * v[0]]);
    const b = Float64Array.from([1]);
    expect(conjugateGradient(one, b, { iterations: 1, damping: 0.1 })[0]).toBe(1 / (4.1 + 1e-8));
    expect(conjugateGradient(one, b, { iterations: 1, damping: 0.1, variant: "sb3" })[0]).toBe(1 / 4.1);
  });

  it("b = 0 gives x = 0 without NaN; bad options are named", () => {
    expect([...conjugateGradient(matVec(A), new Float64Array(3))]).toEqual([0, 0, 0]);
    expect(() => conjugateGradient(matVec(A), g, { iterations: 0 })).toThrow(/iterations/);
    expect(() => conjugateGradient(() => new Float64Array(2), g)).toThrow(/fvp/);
  });
});

/**
 * A tabular softmax policy: logits θ[s·K + k], π(k|s) = softmax(θ_s). Samples (s_j, a_j, Â_j) were drawn
 * from π_old. Everything is float64 and exact: surrogate L(θ) = −(1/N) Σ_j π_θ(a_j|s_j)/π_old(a_j|s_j)·Â_j,
 * ∂π(a|s)/∂θ_{s,k} = π(a|s)(1[k = a] − π(k|s)), mean KL(π_old‖π_θ) over the samples' states, and its
 * Fisher at θ_old: F = Σ_s (n_s/N)(diag π_s − π_s π_sᵀ).
 */
class TabularSoftmax implements TrustRegionProblem {
  private theta: Float64Array;
  readonly oldPi: number[][];

  constructor(
    readonly K: number,
    theta0: Float64Array,
    readonly samples: { s: number; a: number; adv: number }[],
  ) {
    this.theta = Float64Array.from(theta0);
    this.oldPi = this.pi();
  }

  pi(theta = this.theta): number[][] {
    const S = theta.length / this.K;
    return Array.from({ length: S }, (_, s) => {
      const row = Array.from(theta.subarray(s * this.K, (s + 1) * this.K));
      const max = Math.max(...row);
      const e = row.map((x) => Math.exp(x - max));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / z);
    });
  }

  getParams(): Float64Array {
    return Float64Array.from(this.theta);
  }

  setParams(p: Float64Array): void {
    this.theta = Float64Array.from(p);
  }

  loss(): number {
    const pi = this.pi();
    let l = 0;
    for (const { s, a, adv } of this.samples)
      l -= ((pi[s][a] / this.oldPi[s][a]) * adv) / this.samples.length;
    return l;
  }

  gradient(): Float64Array {
    const pi = this.pi();
    const g = new Float64Array(this.theta.length);
    for (const { s, a, adv } of this.samples) {
      for (let k = 0; k < this.K; k++) {
        const dPi = pi[s][a] * ((k === a ? 1 : 0) - pi[s][k]);
        g[s * this.K + k] -= ((dPi / this.oldPi[s][a]) * adv) / this.samples.length;
      }
    }
    return g;
  }

  meanKl(): number {
    const pi = this.pi();
    let kl = 0;
    for (const { s } of this.samples) {
      for (let k = 0; k < this.K; k++)
        kl += (this.oldPi[s][k] * Math.log(this.oldPi[s][k] / pi[s][k])) / this.samples.length;
    }
    return kl;
  }

  /** ∇θ of the mean KL(π_old‖π_θ): (n_s/N)(π_θ,s − π_old,s) per state. */
  klGradient(theta: Float64Array): Float64Array {
    const pi = this.pi(theta);
    const g = new Float64Array(theta.length);
    for (const { s } of this.samples) {
      for (let k = 0; k < this.K; k++)
        g[s * this.K + k] += (pi[s][k] - this.oldPi[s][k]) / this.samples.length;
    }
    return g;
  }

  fisherVectorProduct(v: Float64Array): Float64Array {
    const out = new Float64Array(v.length);
    for (const { s } of this.samples) {
      const p = this.oldPi[s];
      let pv = 0;
      for (let k = 0; k < this.K; k++) pv += p[k] * v[s * this.K + k];
      for (let k = 0; k < this.K; k++)
        out[s * this.K + k] += (p[k] * (v[s * this.K + k] - pv)) / this.samples.length;
    }
    return out;
  }
}

function randomProblem(seed: number): TabularSoftmax {
  const rng = createRng(seed);
  const S = 3;
  const K = 4;
  const theta = Float64Array.from({ length: S * K }, () => rng.normal());
  const samples = Array.from({ length: 24 }, () => ({ s: rng.int(S), a: rng.int(K), adv: rng.normal() }));
  return new TabularSoftmax(K, theta, samples);
}

describe("TRPO step on a tabular softmax policy", () => {
  it("the hand-written Fisher-vector product equals finite differences of the KL gradient", () => {
    const p = randomProblem(1);
    const theta = p.getParams();
    const v = Float64Array.from({ length: theta.length }, (_, i) => Math.sin(i + 1));
    const h = 1e-5;
    const plus = p.klGradient(theta.map((t, i) => t + h * v[i]));
    const minus = p.klGradient(theta.map((t, i) => t - h * v[i]));
    const fd = Array.from(plus, (x, i) => (x - minus[i]) / (2 * h));
    expectGradientsClose(p.fisherVectorProduct(v), fd, 1e-8);
  });

  it("never exceeds the KL bound and improves the surrogate when it steps (many problems, both conventions)", () => {
    let accepted = 0;
    for (let seed = 0; seed < 40; seed++) {
      for (const maxKl of [0.001, 0.01, 0.05]) {
        for (const convention of ["spinningup", "sb3"] as const) {
          const p = randomProblem(seed);
          const before = p.loss();
          const result = trpoStep(p, { maxKl, convention });
          const kl = p.meanKl();
          expect(kl).toBeLessThanOrEqual(maxKl);
          if (result.accepted) {
            accepted++;
            expect(result.metrics.kl).toBe(kl);
            if (convention === "sb3") expect(p.loss()).toBeLessThan(before);
            else expect(p.loss()).toBeLessThanOrEqual(before);
          } else {
            expect(kl).toBe(0);
          }
        }
      }
    }
    expect(accepted).toBeGreaterThan(200);
  });

  it("the full step has KL ≈ δ: β = sqrt(2δ/xᵀFx) uses the quadratic model of the KL", () => {
    const p = randomProblem(7);
    // Without damping (F is singular along the shift of each state's logits, but g and the Krylov
    // space of CG are orthogonal to it) and with a small δ the quadratic model ½β²xᵀFx = δ is accurate,
    // so the KL of the full step (j = 0) is within a few percent of δ.
    const kls: number[] = [];
    const recording: TrustRegionProblem = {
      getParams: () => p.getParams(),
      setParams: (x) => p.setParams(x),
      loss: () => p.loss(),
      gradient: () => p.gradient(),
      meanKl: () => {
        kls.push(p.meanKl());
        return kls[kls.length - 1];
      },
      fisherVectorProduct: (v) => p.fisherVectorProduct(v),
    };
    const result = trpoStep(recording, { maxKl: 1e-4, damping: 0 });
    expect(kls[0] / 1e-4).toBeGreaterThan(0.95);
    expect(kls[0] / 1e-4).toBeLessThan(1.05);
    expect(result.accepted).toBe(true);
    expect(result.metrics.kl).toBeLessThanOrEqual(1e-4);
  });

  it("keeps the old parameters exactly when no step improves the loss", () => {
    const p = randomProblem(3);
    const old = p.getParams();
    // The gradient points the wrong way, so every step along −x raises the loss.
    const wrongWay: TrustRegionProblem = {
      getParams: () => p.getParams(),
      setParams: (x) => p.setParams(x),
      loss: () => p.loss(),
      gradient: () => p.gradient().map((g) => -g),
      meanKl: () => p.meanKl(),
      fisherVectorProduct: (v) => p.fisherVectorProduct(v),
    };
    const result = trpoStep(wrongWay, { maxKl: 0.01 });
    expect(result.accepted).toBe(false);
    expect(result.metrics.kl).toBe(0);
    expect([...p.getParams()]).toEqual([...old]);
  });

  it("keeps the old parameters exactly when every step breaks the KL bound", () => {
    const p = randomProblem(4);
    const old = p.getParams();
    const strict: TrustRegionProblem = {
      getParams: () => p.getParams(),
      setParams: (x) => p.setParams(x),
      loss: () => p.loss(),
      gradient: () => p.gradient(),
      meanKl: () => 1e6 * p.meanKl(),
      fisherVectorProduct: (v) => p.fisherVectorProduct(v),
    };
    const result = trpoStep(strict, { maxKl: 0.01 });
    expect(result.accepted).toBe(false);
    expect([...p.getParams()]).toEqual([...old]);
  });

  it("the trpo objective's trustRegionStep applies its own options", () => {
    const p = randomProblem(5);
    const result = new TrpoObjective({ maxKl: 0.002 }).trustRegionStep(p);
    expect(result.accepted).toBe(true);
    expect(p.meanKl()).toBeLessThanOrEqual(0.002);
    expect(() => new TrpoObjective({ backtrackCoef: 1 })).toThrow(/objective\.backtrackCoef/);
    expect(() => new TrpoObjective({ maxKl: 0 })).toThrow(/objective\.maxKl/);
  });
});

describe("trpo surrogate loss", () => {
  const logp = [-0.7, -1.3, -0.9];
  const old = [-1, -1, -1];
  const adv = [1, -2, 0.5];

  it("equals −mean(ρ·A) by hand, with and without normalisation, and its gradient", () => {
    // ρ = [e^0.3, e^−0.3, e^0.1] = [1.3498588, 0.7408182, 1.1051709]
    // ρ·A = [1.3498588, −1.4816364, 0.5525855] → −mean = −0.4208079/3 = −0.1402693
    const x = { logprobs: tf.tensor1d(logp), oldLogprobs: tf.tensor1d(old), advantages: tf.tensor1d(adv) };
    expect(take(trpoSurrogateLoss(x, { normalizeAdvantages: "none" }).loss)).toBeCloseTo(-0.1402693, 6);
    // population std: A mean −1/6, deviations [7/6, −11/6, 2/3], Var = (49 + 121 + 16)/36/3 = 1.7222222,
    // std = 1.3123346 → Â = [0.8890008, −1.3970013, 0.5080005]
    // ρ·Â = [1.2000257, −1.0349241, 0.5614274] → −mean = −0.7265290/3 = −0.2421763
    expect(take(trpoSurrogateLoss(x).loss)).toBeCloseTo(-0.24217633, 6);
    const g = gradientAt(
      (lp) => trpoSurrogateLoss({ ...x, logprobs: lp }, { normalizeAdvantages: "none" }).loss,
      x.logprobs,
    );
    const fd = centralDifferences(
      (lp) => -lp.reduce((s, l, i) => s + Math.exp(l - old[i]) * adv[i], 0) / 3,
      logp,
    );
    expectGradientsClose(g, fd);
    expectNoLeak(() => new TrpoObjective().loss(x).loss.dispose());
    for (const t of Object.values(x)) t.dispose();
  });
});
