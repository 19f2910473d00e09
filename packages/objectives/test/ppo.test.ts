import { ConfigError, NonFiniteError, ShapeError } from "@rlts/core";
import { beforeAll, describe, expect, it } from "vitest";
import { PpoObjective, ppoLoss, TargetKlEarlyStop } from "../src/index.js";
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

// The batch worked by hand below (4 steps):
// log ρ = logp − old = [0.3, −0.3, 0.1, 0]; ρ = [1.3498588, 0.7408182, 1.1051709, 1]
// A = [1, 1, −1, 2]; ε = 0.2 → clip(ρ) = [1.2, 0.8, 1.1051709, 1]
const old = [-1, -1, -1, -1];
const logp = [-0.7, -1.3, -0.9, -1.0];
const adv = [1, 1, -1, 2];
const V = [0.5, 1.0, -0.2, 0.6];
const Vold = [0.4, 1.5, 0.05, 0.3];
const R = [1.0, 0.8, 0.1, 0.2];
const H = [0.6, 0.5, 0.7, 0.2];

type Opts = Parameters<typeof ppoLoss>[1];

function inputs(lp = logp, v = V, h = H) {
  return {
    logprobs: tf.tensor1d(lp),
    oldLogprobs: tf.tensor1d(old),
    advantages: tf.tensor1d(adv),
    values: tf.tensor1d(v),
    oldValues: tf.tensor1d(Vold),
    returns: tf.tensor1d(R),
    entropy: tf.tensor1d(h),
  };
}

function run(options: Opts) {
  const x = inputs();
  const out = ppoLoss(x, options);
  const loss = take(out.loss);
  for (const t of Object.values(x)) t.dispose();
  return { loss, metrics: out.metrics };
}

/** The same loss in float64, written from CleanRL ppo.py and SB3 ppo.py independently of the tfjs code. */
function reference(lp: number[], v: number[], h: number[], o: Required<NonNullable<Opts>>): number {
  const n = lp.length;
  let a = [...adv];
  if (o.normalizeAdvantages === "sample-std") {
    const mean = a.reduce((s, x) => s + x, 0) / n;
    const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    a = a.map((x) => (x - mean) / (std + 1e-8));
  }
  let pg = 0;
  let vl = 0;
  let ent = 0;
  for (let i = 0; i < n; i++) {
    const ratio = Math.exp(lp[i] - old[i]);
    const clipped = Math.min(Math.max(ratio, 1 - o.clipRange), 1 + o.clipRange);
    pg += Math.max(-a[i] * ratio, -a[i] * clipped) / n;
    const un = (v[i] - R[i]) ** 2;
    const vc = Vold[i] + Math.min(Math.max(v[i] - Vold[i], -o.clipRangeVf), o.clipRangeVf);
    const cl = (vc - R[i]) ** 2;
    if (o.valueLoss === "cleanrl") vl += (0.5 * (o.clipValue ? Math.max(un, cl) : un)) / n;
    else vl += (o.clipValue ? cl : un) / n;
    ent += h[i] / n;
  }
  return pg - o.entropyCoef * ent + o.valueCoef * vl;
}

const base = {
  clipRange: 0.2,
  clipRangeVf: 0.2,
  normalizeAdvantages: "none" as const,
  entropyCoef: 0.01,
  valueCoef: 0.5,
  valueLoss: "cleanrl" as const,
  clipValue: true,
  targetKl: null,
  targetKlConvention: "cleanrl" as const,
};

describe("ppo loss against hand-worked values", () => {
  // Per-step max(−Aρ, −A·clip ρ): [max(−1.3498588, −1.2), max(−0.7408182, −0.8), max(1.1051709, 1.1051709),
  // max(−2, −2)] = [−1.2, −0.7408182, 1.1051709, −2]; L_clip = −2.8356473/4 = −0.7089118.
  const Lclip = -0.7089118256515176;
  // (V − R)² = [0.25, 0.04, 0.09, 0.16]; V − V_old = [0.1, −0.5, −0.25, 0.3] → clip ±0.2 → [0.1, −0.2, −0.2, 0.2]
  // V_clipped = [0.5, 1.3, −0.15, 0.5]; (V_clipped − R)² = [0.25, 0.25, 0.0625, 0.09]
  // CleanRL clipped: ½·mean(max) = ½·(0.25 + 0.25 + 0.09 + 0.16)/4 = 0.09375; unclipped: ½·0.54/4 = 0.0675
  // SB3 clipped: (0.25 + 0.25 + 0.0625 + 0.09)/4 = 0.163125; unclipped: 0.54/4 = 0.135
  // mean H = 2.0/4 = 0.5, so the entropy term is −0.01·0.5 = −0.005.
  it.each([
    ["cleanrl, clipped", { valueLoss: "cleanrl", clipValue: true }, 0.09375],
    ["cleanrl, unclipped", { valueLoss: "cleanrl", clipValue: false }, 0.0675],
    ["sb3, clipped", { valueLoss: "sb3", clipValue: true }, 0.163125],
    ["sb3, unclipped", { valueLoss: "sb3", clipValue: false }, 0.135],
  ] as const)("value loss %s", (_, opts, lv) => {
    const { loss, metrics } = run({ ...base, ...opts });
    expect(metrics.value_loss).toBeCloseTo(lv, 6);
    expect(metrics.policy_loss).toBeCloseTo(Lclip, 6);
    expect(metrics.entropy).toBeCloseTo(0.5, 6);
    expect(loss).toBeCloseTo(Lclip - 0.005 + 0.5 * lv, 6);
  });

  it("clipRangeVf separate from clipRange (SB3 clip_range_vf)", () => {
    // ε_v = 0.1: V − V_old clipped to [0.1, −0.1, −0.1, 0.1] → V_c = [0.5, 1.4, −0.05, 0.4]
    // SB3: (V_c − R)² = [0.25, 0.36, 0.0225, 0.04] → mean = 0.6725/4 = 0.168125
    const { metrics } = run({ ...base, valueLoss: "sb3", clipRangeVf: 0.1 });
    expect(metrics.value_loss).toBeCloseTo(0.168125, 6);
  });

  it("diagnostics: k1 and k3 approx-KL, clip fraction, explained variance", () => {
    const { metrics } = run(base);
    // k1 = mean(−log ρ) = −(0.3 − 0.3 + 0.1 + 0)/4 = −0.025
    expect(metrics.old_approx_kl).toBeCloseTo(-0.025, 6);
    // k3 = mean(ρ − 1 − log ρ) = (0.0498588 + 0.0408182 + 0.0051709 + 0)/4 = 0.0239620
    expect(metrics.approx_kl).toBeCloseTo(0.023961987, 6);
    // |ρ − 1| = [0.35, 0.26, 0.105, 0] > 0.2 for two of four
    expect(metrics.clipfrac).toBe(0.5);
    // R − V_old = [0.6, −0.7, 0.05, −0.1]: mean −0.0375, Var = 0.856875/4 = 0.21421875
    // R: mean 0.525, Var = 0.5875/4 = 0.146875 → EV = 1 − 0.21421875/0.146875 = −0.4585106
    expect(metrics.explained_variance).toBeCloseTo(-0.458510638, 6);
  });

  it("entropyCoef 0 and valueCoef 0 leave only the clipped surrogate", () => {
    const x = inputs();
    const out = ppoLoss(
      { logprobs: x.logprobs, oldLogprobs: x.oldLogprobs, advantages: x.advantages },
      { ...base, entropyCoef: 0, valueCoef: 0 },
    );
    expect(take(out.loss)).toBeCloseTo(Lclip, 6);
    expect(out.metrics.value_loss).toBeUndefined();
    for (const t of Object.values(x)) t.dispose();
  });

  it("sample-std advantage normalisation (CleanRL/SB3)", () => {
    // A = [1, 1, −1, 2]: mean 0.75, Σ(A − mean)² = 0.0625 + 0.0625 + 3.0625 + 1.5625 = 4.75, std_s = sqrt(4.75/3) = 1.2583057
    // Â = [0.1986799, 0.1986799, −1.3907590, 0.9933993]
    // terms: max(−0.1986799·1.3498588, −0.1986799·1.2) = −0.2384158; max(−0.1986799·0.7408182, −0.1986799·0.8) = −0.1471857;
    //        1.3907590·1.1051709 = 1.5370264; −0.9933993 → L_clip = 0.1580256/4 = 0.0395064
    const { metrics } = run({ ...base, normalizeAdvantages: "sample-std" });
    expect(metrics.policy_loss).toBeCloseTo(0.0395064060516514, 6);
  });

  it("masks per-token entries out of every mean", () => {
    // Mask the last step: L_clip = (−1.2 − 0.7408182 + 1.1051709)/3 = −0.2785491
    const x = inputs();
    const mask = tf.tensor1d([1, 1, 1, 0]);
    const out = ppoLoss({ ...x, mask }, { ...base, entropyCoef: 0, valueCoef: 0 });
    expect(out.metrics.policy_loss).toBeCloseTo(-0.835647302606 / 3, 6);
    out.loss.dispose();
    mask.dispose();
    for (const t of Object.values(x)) t.dispose();
  });
});

describe("ppo gradients against float64 central differences", () => {
  it.each([
    ["cleanrl clipped", { valueLoss: "cleanrl", clipValue: true, normalizeAdvantages: "none" }],
    [
      "cleanrl unclipped, normalised",
      { valueLoss: "cleanrl", clipValue: false, normalizeAdvantages: "sample-std" },
    ],
    ["sb3 clipped", { valueLoss: "sb3", clipValue: true, normalizeAdvantages: "none" }],
    ["sb3 unclipped", { valueLoss: "sb3", clipValue: false, normalizeAdvantages: "none" }],
    [
      "sb3 clipped, clipRangeVf 0.15",
      { valueLoss: "sb3", clipValue: true, normalizeAdvantages: "none", clipRangeVf: 0.15 },
    ],
    [
      "cleanrl clipped, clipRange 0.1",
      { valueLoss: "cleanrl", clipValue: true, normalizeAdvantages: "none", clipRange: 0.1 },
    ],
  ] as const)("%s", (_, opts) => {
    const o = { ...base, ...opts };
    const fixed = inputs();
    const lossOf = (lp: tf.Tensor, v: tf.Tensor, h: tf.Tensor) =>
      ppoLoss({ ...fixed, logprobs: lp, values: v, entropy: h }, o).loss;
    const gLogp = gradientAt((lp) => lossOf(lp, fixed.values, fixed.entropy), fixed.logprobs);
    const gV = gradientAt((v) => lossOf(fixed.logprobs, v, fixed.entropy), fixed.values);
    const gH = gradientAt((h) => lossOf(fixed.logprobs, fixed.values, h), fixed.entropy);
    expectGradientsClose(
      gLogp,
      centralDifferences((lp) => reference(lp, V, H, o), logp),
    );
    expectGradientsClose(
      gV,
      centralDifferences((v) => reference(logp, v, H, o), V),
    );
    expectGradientsClose(
      gH,
      centralDifferences((h) => reference(logp, V, h, o), H),
    );
    for (const t of Object.values(fixed)) t.dispose();
  });
});

describe("ppo objective plugin", () => {
  it("leaks no tensors", () => {
    const x = inputs();
    const objective = new PpoObjective();
    expectNoLeak(() => {
      objective.loss(x).loss.dispose();
      tf.grad((lp: tf.Tensor) => objective.loss({ ...x, logprobs: lp }).loss)(x.logprobs).dispose();
    });
    for (const t of Object.values(x)) t.dispose();
  });

  it("declares what it reads", () => {
    expect(new PpoObjective().requires).toEqual(["oldLogprobs", "values", "returns", "oldValues"]);
    expect(new PpoObjective({ clipValue: false }).requires).toEqual(["oldLogprobs", "values", "returns"]);
    expect(new PpoObjective({ valueCoef: 0 }).requires).toEqual(["oldLogprobs"]);
  });

  it("rejects bad options and inputs with the field named", () => {
    expect(() => new PpoObjective({ clipRange: -1 })).toThrow(/objective\.clipRange/);
    expect(() => new PpoObjective({ valueLoss: "huber" as never })).toThrow(/objective\.valueLoss/);
    expect(() => new PpoObjective({ clipCoef: 0.2 } as never)).toThrow(ConfigError);
    const x = inputs();
    const objective = new PpoObjective();
    expect(() => objective.loss({ ...x, oldLogprobs: undefined })).toThrow(/oldLogprobs/);
    const nan = tf.tensor1d([1, Number.NaN, 0, 0]);
    expect(() => objective.loss({ ...x, advantages: nan })).toThrow(NonFiniteError);
    const short = tf.tensor1d([1, 2]);
    expect(() => objective.loss({ ...x, advantages: short })).toThrow(ShapeError);
    const empty = tf.tensor1d([]);
    expect(() => objective.loss({ ...x, logprobs: empty })).toThrow(ShapeError);
    for (const t of [...Object.values(x), nan, short, empty]) t.dispose();
  });
});

describe("target-KL early stop", () => {
  it("CleanRL checks after the epoch against target_kl", () => {
    const stop = new TargetKlEarlyStop({ targetKl: 0.01, convention: "cleanrl" });
    expect(stop.stopAfterEpoch({ approx_kl: 0.011 })).toBe(true);
    expect(stop.stopAfterEpoch({ approx_kl: 0.01 })).toBe(false);
    expect(stop.stopBeforeStep({ approx_kl: 1 })).toBe(false);
  });

  it("SB3 checks before each step against 1.5·target_kl", () => {
    const stop = new TargetKlEarlyStop({ targetKl: 0.01, convention: "sb3" });
    // 1.5 · 0.01 = 0.015
    expect(stop.stopBeforeStep({ approx_kl: 0.0151 })).toBe(true);
    expect(stop.stopBeforeStep({ approx_kl: 0.0149 })).toBe(false);
    expect(stop.stopAfterEpoch({ approx_kl: 1 })).toBe(false);
  });

  it("the ppo objective exposes the rule from its options, and never stops without targetKl", () => {
    const sb3 = new PpoObjective({ targetKl: 0.02, targetKlConvention: "sb3" });
    // 1.5 · 0.02 = 0.03
    expect(sb3.stopBeforeStep?.({ approx_kl: 0.031 })).toBe(true);
    expect(sb3.stopBeforeStep?.({ approx_kl: 0.029 })).toBe(false);
    expect(sb3.stopAfterEpoch).toBeUndefined();
    const cleanrl = new PpoObjective({ targetKl: 0.02 });
    expect(cleanrl.stopAfterEpoch?.({ approx_kl: 0.021 })).toBe(true);
    expect(cleanrl.stopBeforeStep).toBeUndefined();
    const none = new PpoObjective();
    expect(none.stopBeforeStep).toBeUndefined();
    expect(none.stopAfterEpoch).toBeUndefined();
    expect(() => new PpoObjective({ targetKl: 0 })).toThrow(/objective\.targetKl/);
  });
});
