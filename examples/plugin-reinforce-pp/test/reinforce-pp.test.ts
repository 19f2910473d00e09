import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ConfigError,
  createContainer,
  createPlugin,
  getRegistry,
  loadPlugins,
  type PluginSpec,
  ShapeError,
} from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeReinforcePlusPlus, ReinforcePlusPlusEstimator } from "../src/index.js";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** Six completions of two prompts: prompt 0 has rewards 1, 0, 0, 1; prompt 1 has 1, 1. */
const batch = () => ({
  numSteps: 1,
  numEnvs: 6,
  rewards: Float64Array.from([1, 0, 0, 1, 1, 1]),
  terminated: new Uint8Array(6).fill(1),
  truncated: new Uint8Array(6),
  groupIds: Int32Array.from([0, 0, 0, 0, 1, 1]),
});

const closeTo = (got: ArrayLike<number>, want: number[], digits = 12) => {
  expect(got.length).toBe(want.length);
  for (const [i, w] of want.entries()) expect(got[i]).toBeCloseTo(w, digits);
};

describeEstimator("reinforce++", { create: () => new ReinforcePlusPlusEstimator(), batch });
describeEstimator("reinforce++ (verl settings)", {
  create: () =>
    new ReinforcePlusPlusEstimator({ stdKind: "sample", epsilonPlacement: "add", singletonBaseline: "zero" }),
  batch,
});

describe("reinforce++ advantages, worked by hand", () => {
  it("subtracts each prompt's mean, then whitens with the population std (OpenRLHF defaults)", () => {
    // Prompt 0: mean 0.5 → 0.5, −0.5, −0.5, 0.5. Prompt 1: mean 1 → 0, 0.
    // Batch: mean 0; population variance (4 · 0.25) / 6 = 1/6 ≫ ε, so A = A' · √6.
    const { advantages, metrics } = new ReinforcePlusPlusEstimator().estimate(batch());
    const s = Math.sqrt(6);
    closeTo(advantages, [0.5 * s, -0.5 * s, -0.5 * s, 0.5 * s, 0, 0]);
    expect(metrics?.["reinforce++/mean"]).toBeCloseTo(0, 15);
    expect(metrics?.["reinforce++/scale"]).toBeCloseTo(1 / s, 12);
  });

  it("uses the sample std when asked (verl's Bessel-corrected masked_var)", () => {
    // Same A'; sample variance (4 · 0.25) / 5 = 1/5, so A = A' · √5.
    const { advantages } = computeReinforcePlusPlus(batch().rewards, batch().groupIds, { stdKind: "sample" });
    const s = Math.sqrt(5);
    closeTo(advantages, [0.5 * s, -0.5 * s, -0.5 * s, 0.5 * s, 0, 0]);
  });

  it("gives a single-completion prompt advantage 0 before whitening by default, its raw reward under verl's rule", () => {
    const rewards = Float64Array.from([3, 1, 2]);
    const groupIds = Int32Array.from([0, 0, 1]);
    // Default: A' = [1, −1, 0]; mean 0; population variance 2/3; A = A' / √(2/3).
    const d = Math.sqrt(2 / 3);
    closeTo(computeReinforcePlusPlus(rewards, groupIds).advantages, [1 / d, -1 / d, 0]);
    // verl: A' = [1, −1, 2] (b = 0 for the lone completion); mean 2/3; deviations 1/3, −5/3, 4/3;
    // Σ squares = (1 + 25 + 16)/9 = 14/3; sample variance 7/3; A = dev / √(7/3 + 1e-8).
    const v = Math.sqrt(7 / 3 + 1e-8);
    closeTo(
      computeReinforcePlusPlus(rewards, groupIds, {
        stdKind: "sample",
        epsilonPlacement: "add",
        singletonBaseline: "zero",
      }).advantages,
      [1 / 3 / v, -5 / 3 / v, 4 / 3 / v],
    );
  });

  it("places ε as a floor on the variance (OpenRLHF) or adds it (verl)", () => {
    // Two lone completions, baseline 0: A' = [0, 1e-4]; mean 5e-5; population variance 2.5e-9 < ε = 1e-8.
    const rewards = Float64Array.from([0, 1e-4]);
    const groupIds = Int32Array.from([0, 1]);
    const floor = computeReinforcePlusPlus(rewards, groupIds, { singletonBaseline: "zero" });
    // floor: scale = √1e-8 = 1e-4, A = ±5e-5 / 1e-4 = ±0.5.
    closeTo(floor.advantages, [-0.5, 0.5]);
    const add = computeReinforcePlusPlus(rewards, groupIds, {
      singletonBaseline: "zero",
      epsilonPlacement: "add",
    });
    // add: scale = √(2.5e-9 + 1e-8) = √1.25e-8, A = ±5e-5 / √1.25e-8 = ±1/√5.
    closeTo(add.advantages, [-1 / Math.sqrt(5), 1 / Math.sqrt(5)]);
  });

  it("gives zeros, not NaN, when every reward is equal", () => {
    const { advantages } = computeReinforcePlusPlus(
      new Float64Array(4).fill(0.7),
      Int32Array.from([0, 0, 1, 1]),
    );
    expect([...advantages]).toEqual([0, 0, 0, 0]);
  });

  it("whitens to mean 0 and population std 1 for any batch with spread (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: 0, max: 3 })), {
          minLength: 2,
          maxLength: 40,
        }),
        (pairs) => {
          const rewards = Float64Array.from(pairs.map(([r]) => r));
          const groupIds = Int32Array.from(pairs.map(([, g]) => g));
          const { advantages, scale } = computeReinforcePlusPlus(rewards, groupIds);
          fc.pre(scale > 1e-3); // the floor did not bite
          const n = advantages.length;
          const mean = advantages.reduce((s, a) => s + a, 0) / n;
          const variance = advantages.reduce((s, a) => s + (a - mean) ** 2, 0) / n;
          expect(mean).toBeCloseTo(0, 9);
          expect(variance).toBeCloseTo(1, 9);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });
});

describe("reinforce++ errors name the field and the fix", () => {
  it("rejects unknown options and bad values", () => {
    expect(() => new ReinforcePlusPlusEstimator({ std: "sample" })).toThrow(ConfigError);
    expect(() => new ReinforcePlusPlusEstimator({ std: "sample" })).toThrow(/advantage\.std: .*stdKind/);
    expect(() => new ReinforcePlusPlusEstimator({ stdKind: "bessel" })).toThrow(/advantage\.stdKind/);
    expect(() => new ReinforcePlusPlusEstimator({ epsilonPlacement: "inside" })).toThrow(
      /advantage\.epsilonPlacement/,
    );
    expect(() => new ReinforcePlusPlusEstimator({ singletonBaseline: 0 })).toThrow(
      /advantage\.singletonBaseline/,
    );
    for (const epsilon of [0, -1e-8, Number.NaN, "1e-8", 2]) {
      expect(() => new ReinforcePlusPlusEstimator({ epsilon })).toThrow(/advantage\.epsilon/);
    }
  });

  it("rejects batches with several steps per env and group ids of the wrong length", () => {
    const twoSteps = { ...batch(), numSteps: 2, numEnvs: 3 };
    expect(() => new ReinforcePlusPlusEstimator().estimate(twoSteps)).toThrow(ShapeError);
    expect(() => new ReinforcePlusPlusEstimator().estimate(twoSteps)).toThrow(/numSteps/);
    const shortIds = { ...batch(), groupIds: Int32Array.from([0, 0, 1]) };
    expect(() => new ReinforcePlusPlusEstimator().estimate(shortIds)).toThrow(/groupIds/);
  });
});

describe("rlts-plugin-reinforce-pp loaded by package name", () => {
  it("registers through loadPlugins and is selected from a config, with options", async () => {
    // What a user's config says, after parsing.
    const config: { plugins: string[]; advantage: PluginSpec } = {
      plugins: ["rlts-plugin-reinforce-pp"],
      advantage: { name: "reinforce++", stdKind: "sample" },
    };
    const container = createContainer();
    await loadPlugins(container, config.plugins, { from: packageDir });
    expect(getRegistry(container).list("advantage")).toEqual(["reinforce++"]);
    expect(getRegistry(container).describe("advantage", "reinforce++").description).toMatch(/whitened/);
    const estimator = createPlugin(container, "advantage", config.advantage);
    const s = Math.sqrt(5); // sample std, as in the hand-worked case above
    closeTo(estimator.estimate(batch()).advantages, [0.5 * s, -0.5 * s, -0.5 * s, 0.5 * s, 0, 0]);
    expect(() => createPlugin(container, "advantage", { name: "reinforce++", stdKind: "x" })).toThrow(
      /advantage\.stdKind/,
    );
    await container.dispose();
  });

  it("does not register anything on import", async () => {
    await import("rlts-plugin-reinforce-pp");
    expect(getRegistry(createContainer()).list("advantage")).toEqual([]);
  });
});
