import { ConfigError, ShapeError } from "@rlts/core";
import { beforeAll, describe, expect, it } from "vitest";
import { GrpoObjective, type GrpoOptions, grpoLoss, klEstimate } from "../src/index.js";
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

// Two completions, padded to T = 3; the second has two tokens.
const logp = [
  [-1.0, -0.5, -2.0],
  [-0.3, -1.2, -0.7],
];
const old = [
  [-1.1, -0.72, -1.6],
  [-0.3, -0.9, -0.9],
];
const ref = [
  [-1.0, -0.7, -1.9],
  [-0.5, -1.2, -0.6],
];
const maskRows = [
  [1, 1, 1],
  [1, 1, 0],
];
const baseMask = maskRows;
const A = [1.5, -0.5];
const H = [
  [1, 2, 3],
  [4, 5, 6],
];

// Worked by hand (ε_low = ε_high = 0.2):
// log ρ = logp − old = [[0.1, 0.22, −0.4], [0, −0.3, 0.2]]
// ρ = [[1.1051709, 1.2460767, 0.6703200], [1, 0.7408182, 1.2214028]]
// row 0 (Â = 1.5 > 0): min(ρ, clip(ρ, 0.8, 1.2))·Â = [1.1051709, 1.2, 0.6703200]·1.5 → ℓ = [−1.6577564, −1.8, −1.0054801]
// row 1 (Â = −0.5 < 0): Â·max(ρ, clip ρ) = −0.5·[1, 0.8, 1.2214028] → ℓ = [0.5, 0.4, 0.6107014] (last token masked)
// Σ_t m·ℓ: row 0 = −4.4632365, row 1 = 0.9; Σ m = 5
const rowSums = [-4.4632364461669, 0.9];
const grpoValue = (rowSums[0] / 3 + rowSums[1] / 2) / 2; // (−1.4877455 + 0.45)/2 = −0.5188727
const tokenMean = (rowSums[0] + rowSums[1]) / 5; // −3.5632364/5 = −0.7126473

function tensors(extra: { truncated?: number[]; maskRows?: number[][] } = {}) {
  return {
    logprobs: tf.tensor2d(logp),
    oldLogprobs: tf.tensor2d(old),
    refLogprobs: tf.tensor2d(ref),
    advantages: tf.tensor1d(A),
    mask: tf.tensor2d(extra.maskRows ?? maskRows),
    entropy: tf.tensor2d(H),
    truncated: extra.truncated ? tf.tensor1d(extra.truncated) : undefined,
  };
}

function run(options: GrpoOptions, extra: Parameters<typeof tensors>[0] = {}, numItemsInBatch?: number) {
  const x = tensors(extra);
  const out = grpoLoss({ ...x, numItemsInBatch }, options);
  const loss = take(out.loss);
  for (const t of Object.values(x)) t?.dispose();
  return { loss, metrics: out.metrics };
}

describe("grpo loss types against hand-worked values", () => {
  it("grpo: mean over completions of per-completion token means", () => {
    expect(run({ lossType: "grpo" }).loss).toBeCloseTo(grpoValue, 6);
  });
  it("bnpo: token mean of the micro-batch", () => {
    expect(run({ lossType: "bnpo" }).loss).toBeCloseTo(tokenMean, 6);
  });
  it("dr_grpo: token sum / (B · maxCompletionLength), L from the config, not the padded width", () => {
    // −3.5632364/(2·4) = −0.4454046
    expect(run({ lossType: "dr_grpo", maxCompletionLength: 4 }).loss).toBeCloseTo(-3.5632364461669 / 8, 6);
  });
  it("dapo: token sum / num_items_in_batch (the local count by default)", () => {
    expect(run({ lossType: "dapo" }).loss).toBeCloseTo(tokenMean, 6);
    // 10 active tokens over the whole generation batch: −3.5632364/10
    expect(run({ lossType: "dapo" }, {}, 10).loss).toBeCloseTo(-0.35632364461669, 6);
  });
  it("gradient accumulation divides grpo, bnpo and dr_grpo, never dapo", () => {
    const gas = { gradientAccumulationSteps: 2 };
    expect(run({ lossType: "grpo", ...gas }).loss).toBeCloseTo(grpoValue / 2, 6);
    expect(run({ lossType: "bnpo", ...gas }).loss).toBeCloseTo(tokenMean / 2, 6);
    expect(run({ lossType: "dr_grpo", maxCompletionLength: 4, ...gas }).loss).toBeCloseTo(
      -3.5632364461669 / 16,
      6,
    );
    expect(run({ lossType: "dapo", ...gas }).loss).toBeCloseTo(tokenMean, 6);
  });
  it("dapo over two micro-batches is the exact global token mean, bnpo a mean of means", () => {
    // Micro-batch 1 = row 0 (3 tokens), micro-batch 2 = row 1 (2 tokens); num_items_in_batch = 5.
    const rows = [0, 1].map((i) => ({
      logprobs: tf.tensor2d([logp[i]]),
      oldLogprobs: tf.tensor2d([old[i]]),
      advantages: tf.tensor1d([A[i]]),
      mask: tf.tensor2d([maskRows[i]]),
    }));
    const sum = (o: GrpoOptions, n?: number) =>
      rows.reduce((s, r) => s + take(grpoLoss({ ...r, numItemsInBatch: n }, o).loss), 0);
    expect(sum({ lossType: "dapo" }, 5)).toBeCloseTo(tokenMean, 6);
    // bnpo: (−4.4632365/3)/2 + (0.9/2)/2 = −0.5188727 ≠ the token mean
    expect(sum({ lossType: "bnpo", gradientAccumulationSteps: 2 })).toBeCloseTo(grpoValue, 6);
    for (const r of rows) for (const t of Object.values(r)) t.dispose();
  });
  it("the entropy bonus adds up over micro-batches like the loss: dapo Σ H·m/N, others mean/GAS", () => {
    // Micro-batch 1 = row 0 (Σ H·m = 1 + 2 + 3 = 6, 3 tokens), micro-batch 2 = row 1 (4 + 5 = 9, 2 tokens).
    const rows = [0, 1].map((i) => ({
      logprobs: tf.tensor2d([logp[i]]),
      oldLogprobs: tf.tensor2d([old[i]]),
      advantages: tf.tensor1d([A[i]]),
      mask: tf.tensor2d([maskRows[i]]),
      entropy: tf.tensor2d([H[i]]),
    }));
    const sum = (o: GrpoOptions, n?: number) =>
      rows.reduce((s, r) => s + take(grpoLoss({ ...r, numItemsInBatch: n }, o).loss), 0);
    // dapo, N = 5: (−4.4632365 + 0.9)/5 − 0.1·(6 + 9)/5 = −0.7126473 − 0.3 = −1.0126473, the one-batch
    // value (a per-micro-batch mean would give −0.7126473 − 0.1·(2 + 4.5) = −1.3626473).
    expect(sum({ lossType: "dapo", entropyCoef: 0.1 }, 5)).toBeCloseTo(tokenMean - 0.3, 6);
    expect(run({ lossType: "dapo", entropyCoef: 0.1 }, {}, 5).loss).toBeCloseTo(tokenMean - 0.3, 6);
    // grpo, GAS = 2: each micro-batch's mean entropy is divided by 2 like its loss:
    // (−1.4877455 + 0.45)/2 − 0.1·(2 + 4.5)/2 = −0.5188727 − 0.325
    expect(sum({ lossType: "grpo", entropyCoef: 0.1, gradientAccumulationSteps: 2 })).toBeCloseTo(
      grpoValue - 0.325,
      6,
    );
    for (const r of rows) for (const t of Object.values(r)) t.dispose();
  });
  it("countLossTokens counts what the loss counts: truncated completions drop out under overlong filtering", () => {
    const samples = [
      { tokens: 2, truncated: false },
      { tokens: 4, truncated: true },
    ];
    expect(new GrpoObjective({ lossType: "dapo" }).countLossTokens(samples)).toBe(6);
    expect(
      new GrpoObjective({ lossType: "dapo", maskTruncatedCompletions: true }).countLossTokens(samples),
    ).toBe(2);
    // TRL: lengths [2, 4 (truncated)], Â [1, −1], ratio 1: Σ m·ℓ = −2 over num_items_in_batch = 2 → −1.0
    // (the count with the truncated tokens, 6, gives −0.333).
    const x = {
      logprobs: tf.tensor2d([
        [-1, -1, 0, 0],
        [-1, -1, -1, -1],
      ]),
      advantages: tf.tensor1d([1, -1]),
      mask: tf.tensor2d([
        [1, 1, 0, 0],
        [1, 1, 1, 1],
      ]),
      truncated: tf.tensor1d([0, 1]),
    };
    const o = { lossType: "dapo", maskTruncatedCompletions: true } as const;
    const n = new GrpoObjective(o).countLossTokens(samples);
    expect(take(grpoLoss({ ...x, numItemsInBatch: n }, o).loss)).toBeCloseTo(-1, 6);
    for (const t of Object.values(x)) t.dispose();
  });
});

describe("grpo options against hand-worked values", () => {
  it("epsilonHigh (DAPO clip-higher) lets ρ rise to 1 + ε_high for positive advantages", () => {
    // ε_high = 0.28: row 0 token 1 keeps ρ = 1.2460767 (< 1.28) → ℓ = −1.8691151 instead of −1.8
    // token mean = (−3.5632364 − 0.0691151)/5 = −0.7264703
    expect(run({ lossType: "bnpo", epsilonHigh: 0.28 }).loss).toBeCloseTo(-0.7264703084096, 6);
  });

  // log r = ref − logp = [[0, −0.2, 0.1], [−0.2, 0, (0.1 masked)]]
  // k1 = −log r = [0, 0.2, −0.1, 0.2, 0] → masked mean 0.3/5 = 0.06
  // k2 = ½(log r)² = [0, 0.02, 0.005, 0.02, 0] → 0.045/5 = 0.009
  // k3 = e^{log r} − 1 − log r = [0, 0.0187308, 0.0051709, 0.0187308, 0] → 0.0426324/5 = 0.0085265
  it.each([
    ["k1", 0.06],
    ["k2", 0.009],
    ["k3", 0.008526484846322],
  ] as const)("beta with the %s estimator adds β·KL per token", (klEstimator, kl) => {
    const { loss, metrics } = run({ lossType: "bnpo", beta: 0.04, klEstimator });
    expect(metrics.kl).toBeCloseTo(kl, 6);
    // bnpo is a token mean, so the penalty adds β·(masked mean KL)
    expect(loss).toBeCloseTo(tokenMean + 0.04 * kl, 6);
  });

  it("beta with the grpo aggregation weights each completion's KL by its own length", () => {
    // k3 per row: row 0 = (0 + 0.0187308 + 0.0051709)/3 = 0.0079672, row 1 = 0.0187308/2 = 0.0093654
    // grpo = −0.5188727 + 0.04·(0.0079672 + 0.0093654)/2 = −0.5185261
    expect(run({ lossType: "grpo", beta: 0.04, klEstimator: "k3" }).loss).toBeCloseTo(-0.5185260890226844, 6);
  });

  it("importanceSampling sequence (GSPO): one length-normalised ratio per completion", () => {
    // log s_0 = (0.1 + 0.22 − 0.4)/3 = −0.0266667 → s_0 = 0.9736842 (inside the clip) → ℓ_0 = −1.5·s_0 = −1.4605286
    // log s_1 = (0 − 0.3)/2 = −0.15 → s_1 = 0.8607080 → ℓ_1 = 0.5·s_1 = 0.4303540
    // grpo: (−1.4605286 + 0.4303540)/2 = −0.5150873; bnpo: (3·−1.4605286 + 2·0.4303540)/5 = −0.7041756
    expect(run({ lossType: "grpo", importanceSampling: "sequence" }).loss).toBeCloseTo(-0.5150873179086, 6);
    expect(run({ lossType: "bnpo", importanceSampling: "sequence" }).loss).toBeCloseTo(-0.7041755791328, 6);
  });

  it("maskTruncatedCompletions zeroes truncated rows, which still count in the grpo mean", () => {
    const opts = { maskTruncatedCompletions: true };
    // row 1 truncated: grpo = (−1.4877455 + 0)/2 = −0.7438727; bnpo/dapo = −4.4632365/3; dr_grpo = −4.4632365/8
    expect(run({ ...opts, lossType: "grpo" }, { truncated: [0, 1] }).loss).toBeCloseTo(-0.7438727410278, 6);
    expect(run({ ...opts, lossType: "bnpo" }, { truncated: [0, 1] }).loss).toBeCloseTo(-1.4877454820556, 6);
    expect(run({ ...opts, lossType: "dapo" }, { truncated: [0, 1] }).loss).toBeCloseTo(-1.4877454820556, 6);
    expect(
      run({ ...opts, lossType: "dr_grpo", maxCompletionLength: 4 }, { truncated: [0, 1] }).loss,
    ).toBeCloseTo(-0.5579045557709, 6);
    // Without the option the flags are ignored.
    expect(run({ lossType: "grpo" }, { truncated: [0, 1] }).loss).toBeCloseTo(grpoValue, 6);
  });

  it("entropy bonus subtracts entropyCoef · masked mean entropy", () => {
    // masked mean H = (1 + 2 + 3 + 4 + 5)/5 = 3 → −0.7126473 − 0.1·3
    const { loss, metrics } = run({ lossType: "dapo", entropyCoef: 0.1 });
    expect(metrics.entropy).toBeCloseTo(3, 6);
    expect(loss).toBeCloseTo(tokenMean - 0.3, 6);
  });

  it("clip_ratio metrics count low-clipped negative and high-clipped positive tokens", () => {
    // low: ρ < 0.8 with Â < 0 → row 1 token 1 (0.7408); high: ρ > 1.2 with Â > 0 → row 0 token 1 (1.2461)
    const { metrics } = run({ lossType: "bnpo" });
    expect(metrics["clip_ratio/low_mean"]).toBeCloseTo(1 / 5, 6);
    expect(metrics["clip_ratio/high_mean"]).toBeCloseTo(1 / 5, 6);
    expect(metrics["clip_ratio/region_mean"]).toBeCloseTo(2 / 5, 6);
    // ε_high = 0.28 un-clips the high token
    expect(run({ lossType: "bnpo", epsilonHigh: 0.28 }).metrics["clip_ratio/high_mean"]).toBe(0);
  });

  it("without oldLogprobs the ratio is 1 in value and the gradient is −Â·m/N per token", () => {
    const x = { logprobs: tf.tensor2d(logp), advantages: tf.tensor1d(A), mask: tf.tensor2d(maskRows) };
    const out = grpoLoss(x, { lossType: "bnpo" });
    // ℓ = −Â per active token: (−1.5·3 + 0.5·2)/5 = −0.7
    expect(take(out.loss)).toBeCloseTo(-0.7, 6);
    const g = gradientAt((lp) => grpoLoss({ ...x, logprobs: lp }, { lossType: "bnpo" }).loss, x.logprobs);
    // ∂/∂logp_{i,t} = −Â_i·m_{i,t}/5
    expectGradientsClose(g, [-0.3, -0.3, -0.3, 0.1, 0.1, 0]);
    for (const t of Object.values(x)) t.dispose();
  });
});

/**
 * TRL `_compute_loss` (and GSPO's sequence ratio) in float64 as a function of the flat log-probs, written
 * independently of the tfjs code.
 */
function reference(flat: number[], o: GrpoOptions, maskRows = baseMask): number {
  const lp = [flat.slice(0, 3), flat.slice(3, 6)];
  const el = o.epsilon ?? 0.2;
  const eh = o.epsilonHigh ?? el;
  const rows: number[] = [];
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < 2; i++) {
    const n = maskRows[i].reduce((s, v) => s + v, 0);
    let seq = 0;
    for (let t = 0; t < 3; t++) seq += (maskRows[i][t] * (lp[i][t] - old[i][t])) / Math.max(n, 1);
    let rowSum = 0;
    for (let t = 0; t < 3; t++) {
      const ratio = Math.exp(o.importanceSampling === "sequence" ? seq : lp[i][t] - old[i][t]);
      const clipped = Math.min(Math.max(ratio, 1 - el), 1 + eh);
      let l = -Math.min(ratio * A[i], clipped * A[i]);
      const logR = ref[i][t] - lp[i][t];
      const kl = { k1: -logR, k2: 0.5 * logR * logR, k3: Math.exp(logR) - 1 - logR }[o.klEstimator ?? "k3"];
      l += (o.beta ?? 0) * kl;
      rowSum += maskRows[i][t] * l;
    }
    rows.push(rowSum / Math.max(n, 1));
    total += rowSum;
    tokens += n;
  }
  switch (o.lossType) {
    case "grpo":
      return (rows[0] + rows[1]) / 2;
    case "bnpo":
      return total / tokens;
    case "dr_grpo":
      return total / (2 * (o.maxCompletionLength as number));
    default:
      return total / tokens;
  }
}

describe("grpo gradients against float64 central differences", () => {
  const cases: [string, GrpoOptions][] = [
    ["grpo", { lossType: "grpo" }],
    ["bnpo, β k3", { lossType: "bnpo", beta: 0.04, klEstimator: "k3" }],
    ["dr_grpo, β k2", { lossType: "dr_grpo", maxCompletionLength: 4, beta: 0.04, klEstimator: "k2" }],
    ["dapo, β k1, clip-higher", { lossType: "dapo", beta: 0.04, klEstimator: "k1", epsilonHigh: 0.28 }],
    ["grpo, sequence (GSPO)", { lossType: "grpo", importanceSampling: "sequence" }],
    ["dapo, sequence (GSPO), β k3", { lossType: "dapo", importanceSampling: "sequence", beta: 0.04 }],
  ];
  it.each(cases)("%s", (_, o) => {
    const x = tensors();
    const g = gradientAt((lp) => grpoLoss({ ...x, logprobs: lp }, o).loss, x.logprobs);
    const fd = centralDifferences((f) => reference(f, o), logp.flat());
    // Padding positions carry no gradient, and the finite differences agree.
    expect(g[5]).toBe(0);
    expectGradientsClose(g, fd);
    for (const t of Object.values(x)) t?.dispose();
  });
});

describe("grpo gradients with masking and the entropy bonus", () => {
  it("maskTruncatedCompletions: the truncated row gets no gradient, the rest matches finite differences", () => {
    const o: GrpoOptions = { lossType: "grpo", maskTruncatedCompletions: true, beta: 0.04 };
    const x = tensors({ truncated: [0, 1] });
    const g = gradientAt((lp) => grpoLoss({ ...x, logprobs: lp }, o).loss, x.logprobs);
    const truncatedMask = [
      [1, 1, 1],
      [0, 0, 0],
    ];
    expectGradientsClose(
      g,
      centralDifferences((f) => reference(f, o, truncatedMask), logp.flat()),
    );
    expect(g.slice(3)).toEqual([0, 0, 0]);
    for (const t of Object.values(x)) t?.dispose();
  });

  it("entropyCoef: ∂loss/∂H_{i,t} = −entropyCoef·m_{i,t}/Σm", () => {
    const x = tensors();
    const g = gradientAt((h) => grpoLoss({ ...x, entropy: h }, { entropyCoef: 0.1 }).loss, x.entropy);
    // −0.1/5 on the five active tokens, 0 on the padding
    expectGradientsClose(g, [-0.02, -0.02, -0.02, -0.02, -0.02, 0], 1e-6);
    for (const t of Object.values(x)) t?.dispose();
  });
});

describe("klEstimate", () => {
  it("matches the three estimators by hand and their float64 gradients", () => {
    // log r = logRef − logp = [−0.2, 0.3]
    const lp = tf.tensor1d([-1, -0.5]);
    const lr = tf.tensor1d([-1.2, -0.2]);
    const values = (k: "k1" | "k2" | "k3") => Array.from(klEstimate(lp, lr, k).dataSync());
    // k1 = [0.2, −0.3]; k2 = [0.02, 0.045]; k3 = [e^−0.2 − 0.8, e^0.3 − 1.3] = [0.0187308, 0.0498588]
    expectGradientsClose(values("k1"), [0.2, -0.3], 1e-6);
    expectGradientsClose(values("k2"), [0.02, 0.045], 1e-6);
    expectGradientsClose(values("k3"), [0.018730753, 0.049858808], 1e-6);
    const f64 = {
      k1: (x: number) => -x,
      k2: (x: number) => 0.5 * x * x,
      k3: (x: number) => Math.exp(x) - 1 - x,
    };
    for (const k of ["k1", "k2", "k3"] as const) {
      const g = gradientAt((p) => tf.sum(klEstimate(p, lr, k)), lp);
      const fd = centralDifferences((p) => f64[k](-1.2 - p[0]) + f64[k](-0.2 - p[1]), [-1, -0.5]);
      expectGradientsClose(g, fd);
    }
    expect(() => klEstimate(lp, lr, "k4" as never)).toThrow(/klEstimator/);
    lp.dispose();
    lr.dispose();
  });
});

describe("grpo objective plugin", () => {
  it("declares what it reads and leaks no tensors", () => {
    expect(new GrpoObjective().requires).toEqual([]);
    expect(
      new GrpoObjective({ beta: 0.04, maskTruncatedCompletions: true, entropyCoef: 0.01 }).requires,
    ).toEqual(["refLogprobs", "truncated", "entropy"]);
    const objective = new GrpoObjective({ beta: 0.04, importanceSampling: "sequence" });
    const x = tensors();
    expectNoLeak(() => {
      objective.loss(x).loss.dispose();
      tf.grad((lp: tf.Tensor) => objective.loss({ ...x, logprobs: lp }).loss)(x.logprobs).dispose();
    });
    for (const t of Object.values(x)) t?.dispose();
  });

  it("rejects bad options and inputs with the field named", () => {
    expect(() => new GrpoObjective({ lossType: "dr_grpo" })).toThrow(/objective\.maxCompletionLength/);
    expect(() => new GrpoObjective({ lossType: "ppo" as never })).toThrow(/objective\.lossType/);
    expect(() => new GrpoObjective({ epsilon: -0.1 })).toThrow(/objective\.epsilon/);
    expect(() => new GrpoObjective({ eps: 0.2 } as never)).toThrow(ConfigError);
    const x = tensors();
    expect(() => new GrpoObjective({ beta: 0.1 }).loss({ ...x, refLogprobs: undefined })).toThrow(
      /refLogprobs/,
    );
    expect(() => new GrpoObjective({ maskTruncatedCompletions: true }).loss(x)).toThrow(/truncated/);
    expect(() => new GrpoObjective({ lossType: "dr_grpo", maxCompletionLength: 2 }).loss(x)).toThrow(
      ShapeError,
    );
    const flat = tf.tensor1d([1, 2]);
    expect(() => grpoLoss({ logprobs: flat, advantages: flat })).toThrow(ShapeError);
    expect(() => grpoLoss({ ...x, numItemsInBatch: 0 })).toThrow(/numItemsInBatch/);
    for (const t of [...Object.values(x), flat]) t?.dispose();
  });
});
