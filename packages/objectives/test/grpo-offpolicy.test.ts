import { beforeAll, describe, expect, it } from "vitest";
import { GrpoOffPolicyObjective, type GrpoOffPolicyOptions, grpoOffPolicyLoss } from "../src/index.js";
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

// Two prompts with G = 2 samples each, T = 2 tokens. Prompt 0 rewards [1, 0] → Â = ±0.9998001;
// prompt 1 rewards [1, 1] → zero variance, masked.
const a0 = 0.9998000599800071;
const logp = [
  [-1, -1],
  [-2, -1],
  [-0.5, -0.5],
  [-1, -1],
];
const alpha = [
  [-1.1, -1],
  [-2, -0.8],
  [-0.5, -0.6],
  [-1, -1],
];
const refShift = 0.1; // log π_ref = log π_θ + 0.1 everywhere

function tensors(lp = logp) {
  return {
    logprobs: tf.tensor2d(lp),
    oldLogprobs: tf.tensor2d(alpha),
    refLogprobs: tf.tensor2d(logp.map((r) => r.map((x) => x + refShift))),
    advantages: tf.tensor1d([a0, -a0, 0, 0]),
    keep: tf.tensor1d([1, 1, 0, 0]),
  };
}

describe("off-policy GRPO loss (eq. 6–8) against hand-worked values", () => {
  // Row 0 (Â = 0.9998): ρ = π/α = [e^0.1, 1] = [1.1051709, 1] inside [0.8, 1.2] → ℓ = −Â·ρ = [−1.1049499, −0.9998001]
  // Row 1 (Â = −0.9998): ρ = [1, e^−0.2 = 0.8187308] → ℓ = −Â·ρ = [0.9998001, 0.8185671]
  // k3 with log r = 0.1: e^0.1 − 1.1 = 0.0051709; β = 0.1 adds 0.00051709 per token
  // Masked rows 2, 3 contribute 0 but count: (−1.0523750 + 0.9091836 + 2·0.00051709)/4 = −0.0355393
  it("masks zero-variance prompts, KL included, and still counts them in the mean", () => {
    const x = tensors();
    const out = grpoOffPolicyLoss(x, { beta: 0.1 });
    expect(take(out.loss)).toBeCloseTo(-0.0355393158643863, 6);
    // Without masking, rows 2 and 3 carry only their KL: (−0.1431914 + 8·0.00051709/2)/4 = −0.0352808
    const unmasked = grpoOffPolicyLoss(x, { beta: 0.1, maskZeroVariance: false });
    expect(take(unmasked.loss)).toBeCloseTo(-0.03528076996060392, 6);
    for (const t of Object.values(x)) t.dispose();
  });

  it("the masked prompt halves the value relative to a batch without it (denominator counts it)", () => {
    const full = tensors();
    const half = {
      logprobs: tf.tensor2d(logp.slice(0, 2)),
      oldLogprobs: tf.tensor2d(alpha.slice(0, 2)),
      advantages: tf.tensor1d([a0, -a0]),
    };
    const withMasked = take(grpoOffPolicyLoss(full).loss);
    const without = take(grpoOffPolicyLoss(half).loss);
    expect(withMasked).toBeCloseTo(without / 2, 6);
    for (const t of [...Object.values(full), ...Object.values(half)]) t.dispose();
  });

  it("gradients match float64 central differences", () => {
    const o: GrpoOffPolicyOptions = { beta: 0.1, epsilon: 0.1 };
    const x = tensors();
    const g = gradientAt((lp) => grpoOffPolicyLoss({ ...x, logprobs: lp }, o).loss, x.logprobs);
    const A = [a0, -a0, 0, 0];
    const keep = [1, 1, 0, 0];
    const reference = (flat: number[]) => {
      let total = 0;
      for (let i = 0; i < 4; i++) {
        let row = 0;
        for (let t = 0; t < 2; t++) {
          const lp = flat[i * 2 + t];
          const ratio = Math.exp(lp - alpha[i][t]);
          const clipped = Math.min(Math.max(ratio, 0.9), 1.1);
          const logR = logp[i][t] + refShift - lp;
          row += -Math.min(ratio * A[i], clipped * A[i]) + 0.1 * (Math.exp(logR) - 1 - logR);
        }
        total += (keep[i] * row) / 2;
      }
      return total / 4;
    };
    expectGradientsClose(g, centralDifferences(reference, logp.flat()));
    for (const t of Object.values(x)) t.dispose();
  });
});

describe("grpo-offpolicy objective plugin", () => {
  it("exposes v for the trainer, computes advantages with its options, leaks nothing", () => {
    const objective = new GrpoOffPolicyObjective({ samplerRefreshPeriod: 10, advantageEpsilon: 0.75 });
    expect(objective.samplerRefreshPeriod).toBe(10);
    // eq. 2 and 8 as the group estimator's options (their numbers: advantages/test/off-policy-advantages.test.ts)
    expect(objective.advantage).toEqual({
      name: "group",
      std: "population",
      epsilon: 0.75,
      epsilonPlacement: "variance",
      maskZeroVariance: true,
    });
    expect(objective.acceptsStaleSamples).toBe(true);
    expect(objective.requires).toContain("oldLogprobs");
    const x = { ...tensors(), mask: tf.ones([4, 2]) };
    expectNoLeak(() => {
      objective.loss(x).loss.dispose();
      tf.grad((lp: tf.Tensor) => objective.loss({ ...x, logprobs: lp }).loss)(x.logprobs).dispose();
    });
    for (const t of Object.values(x)) t.dispose();
  });

  it("rejects bad options with the field named", () => {
    expect(() => new GrpoOffPolicyObjective({ samplerRefreshPeriod: 0 })).toThrow(
      /objective\.samplerRefreshPeriod/,
    );
    expect(() => new GrpoOffPolicyObjective({ advantageEpsilon: 1 })).toThrow(/objective\.advantageEpsilon/);
    expect(() => new GrpoOffPolicyObjective({ advantageStd: "mad" as never })).toThrow(
      /objective\.advantageStd/,
    );
    const x = tensors();
    expect(() => grpoOffPolicyLoss({ ...x, oldLogprobs: undefined })).toThrow(/oldLogprobs/);
    for (const t of Object.values(x)) t.dispose();
  });
});
