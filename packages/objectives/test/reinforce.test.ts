import { beforeAll, describe, expect, it } from "vitest";
import { ReinforceObjective, reinforceLoss } from "../src/index.js";
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

const logp = [-0.5, -1.0, -2.0];
const adv = [2, -1, 0.5];
const V = [1.0, 0.5, 0.0];
const R = [1.5, 0.0, 1.0];
const H = [0.9, 0.4, 0.2];

type Opts = NonNullable<Parameters<typeof reinforceLoss>[1]>;

function run(options: Opts, withValues = true) {
  const x = {
    logprobs: tf.tensor1d(logp),
    advantages: tf.tensor1d(adv),
    values: withValues ? tf.tensor1d(V) : undefined,
    returns: withValues ? tf.tensor1d(R) : undefined,
    entropy: tf.tensor1d(H),
  };
  const out = reinforceLoss(x, options);
  const loss = take(out.loss);
  for (const t of Object.values(x)) t?.dispose();
  return { loss, metrics: out.metrics };
}

/** Spinning Up VPG's loss in float64, written independently of the tfjs code. */
function reference(lp: number[], v: number[], o: Opts): number {
  const n = lp.length;
  let a = [...adv];
  if (o.normalizeAdvantages === "population-std") {
    const mean = a.reduce((s, x) => s + x, 0) / n;
    const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
    a = a.map((x) => (x - mean) / std);
  }
  let loss = 0;
  for (let i = 0; i < n; i++) loss -= (lp[i] * a[i]) / n;
  loss -= (o.entropyCoef ?? 0) * (H.reduce((s, x) => s + x, 0) / n);
  if (o.baseline) {
    const mse = v.reduce((s, x, i) => s + (x - R[i]) ** 2, 0) / n;
    loss += (o.valueCoef ?? 1) * (o.valueLoss === "cleanrl" ? 0.5 * mse : mse);
  }
  return loss;
}

describe("reinforce loss against hand-worked values", () => {
  it("without a baseline: −mean(log π · A)", () => {
    // log π·A = [−1, 1, −1] → −mean = 1/3
    const { loss, metrics } = run({}, false);
    expect(loss).toBeCloseTo(1 / 3, 6);
    expect(metrics.value_loss).toBeUndefined();
  });

  it("with a baseline, Spinning Up value loss (no ½)", () => {
    // (V − R)² = [0.25, 0.25, 1] → mean 0.5; total = 1/3 + 1·0.5
    const { loss, metrics } = run({ baseline: true });
    expect(metrics.value_loss).toBeCloseTo(0.5, 6);
    expect(loss).toBeCloseTo(1 / 3 + 0.5, 6);
    // EV: R − V = [0.5, −0.5, 1], mean 1/3, Var = (1/36 + 25/36 + 16/36)/3 = 0.3888889;
    // R = [1.5, 0, 1]: mean 5/6, Var = (16/36 + 25/36 + 1/36)/3 = 0.3888889 → EV = 1 − 1 = 0
    expect(metrics.explained_variance).toBeCloseTo(0, 6);
  });

  it("with a baseline, CleanRL value loss (½) and a value coefficient", () => {
    // ½·0.5 = 0.25; total = 1/3 + 0.5·0.25
    const { loss, metrics } = run({ baseline: true, valueLoss: "cleanrl", valueCoef: 0.5 });
    expect(metrics.value_loss).toBeCloseTo(0.25, 6);
    expect(loss).toBeCloseTo(1 / 3 + 0.125, 6);
  });

  it("population-std normalisation (Spinning Up)", () => {
    // A = [2, −1, 0.5]: mean 0.5, Var = (2.25 + 2.25 + 0)/3 = 1.5, std = 1.2247449
    // Â = [1.2247449, −1.2247449, 0]; log π·Â = [−0.6123724, 1.2247449, 0] → −mean = −0.2041241
    const { loss } = run({ normalizeAdvantages: "population-std" }, false);
    expect(loss).toBeCloseTo(-0.2041241452, 6);
  });

  it("population-std normalisation of equal advantages gives 0, not 0/0", () => {
    const x = { logprobs: tf.tensor1d([-1, -2]), advantages: tf.tensor1d([3, 3]) };
    const out = reinforceLoss(x, { normalizeAdvantages: "population-std" });
    expect(Math.abs(take(out.loss))).toBe(0);
    x.logprobs.dispose();
    x.advantages.dispose();
  });

  it("entropy bonus", () => {
    // mean H = 1.5/3 = 0.5; total = 1/3 − 0.1·0.5
    const { loss } = run({ entropyCoef: 0.1 }, false);
    expect(loss).toBeCloseTo(1 / 3 - 0.05, 6);
  });
});

describe("reinforce gradients against float64 central differences", () => {
  it.each([
    ["no baseline", {}],
    ["baseline, spinningup", { baseline: true }],
    [
      "baseline, cleanrl, normalised, entropy",
      {
        baseline: true,
        valueLoss: "cleanrl",
        normalizeAdvantages: "population-std",
        entropyCoef: 0.1,
      },
    ],
  ] as const)("%s", (_, o: Opts) => {
    const x = {
      logprobs: tf.tensor1d(logp),
      advantages: tf.tensor1d(adv),
      values: tf.tensor1d(V),
      returns: tf.tensor1d(R),
      entropy: tf.tensor1d(H),
    };
    const gLogp = gradientAt((lp) => reinforceLoss({ ...x, logprobs: lp }, o).loss, x.logprobs);
    expectGradientsClose(
      gLogp,
      centralDifferences((lp) => reference(lp, V, o), logp),
    );
    if (o.baseline) {
      const gV = gradientAt((v) => reinforceLoss({ ...x, values: v }, o).loss, x.values);
      expectGradientsClose(
        gV,
        centralDifferences((v) => reference(logp, v, o), V),
      );
    }
    for (const t of Object.values(x)) t.dispose();
  });
});

describe("reinforce objective plugin", () => {
  it("declares what it reads, validates options, leaks nothing", () => {
    expect(new ReinforceObjective().requires).toEqual([]);
    expect(new ReinforceObjective({ baseline: true }).requires).toEqual(["values", "returns"]);
    expect(() => new ReinforceObjective({ valueLoss: "half" as never })).toThrow(/objective\.valueLoss/);
    const objective = new ReinforceObjective({ baseline: true });
    const x = {
      logprobs: tf.tensor1d(logp),
      advantages: tf.tensor1d(adv),
      values: tf.tensor1d(V),
      returns: tf.tensor1d(R),
    };
    expect(() => objective.loss({ ...x, values: undefined })).toThrow(/values/);
    expectNoLeak(() => {
      objective.loss(x).loss.dispose();
      tf.grad((v: tf.Tensor) => objective.loss({ ...x, values: v }).loss)(x.values).dispose();
    });
    for (const t of Object.values(x)) t.dispose();
  });
});
