import { type Batch, ConfigError, NonFiniteError, ShapeError } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeGroupAdvantages,
  computeHybridAdvantages,
  computeRlooAdvantages,
  GaeEstimator,
  GroupEstimator,
  HybridEstimator,
  ProcessGroupEstimator,
  ReturnsEstimator,
  RlooEstimator,
} from "../src/index.js";
import { expectAllClose, expectAllNear } from "./helpers.js";

// TRL grpo_trainer.py `_generate_and_score_completions`: an unscorable completion's reward is NaN,
// group mean and std are nanmean/nanstd over the scored ones, and its advantage is nan_to_num → 0.
//
// One group, rewards [1, 0, null, 1] (the third sample abstained; the batch holds 0 for it):
//   scored {1, 0, 1}: mean 2/3, deviations [1/3, −2/3, 1/3], Σd² = 2/3, sample std sqrt((2/3)/2) = sqrt(1/3)
//   A = [ (1/3)/(sqrt(1/3) + 1e-4), (−2/3)/(…), 0, (1/3)/(…) ] = [0.577250, −1.154501, 0, 0.577250]
// Treating the abstention as a 0 reward instead gives [1, 0, 0, 1]: mean 0.5, sample std sqrt(1/3),
//   A = ±0.5/(0.57745) = [0.866, −0.866, −0.866, 0.866].
const s = Math.sqrt(1 / 3) + 1e-4;
const trlWorked = [1 / 3 / s, -2 / 3 / s, 0, 1 / 3 / s];

function batch(rewards: readonly (number | null)[], groupIds: readonly number[]): Batch {
  const n = rewards.length;
  return {
    numSteps: 1,
    numEnvs: n,
    rewards: Float64Array.from(rewards, (r) => r ?? 0),
    terminated: new Uint8Array(n).fill(1),
    truncated: new Uint8Array(n),
    groupIds: Int32Array.from(groupIds),
    abstained: Uint8Array.from(rewards, (r) => (r === null ? 1 : 0)),
  };
}

// Two groups: g0 = [1, 0, null, 1], g1 = [2, null, 4, 6].
const twoGroups = () => batch([1, 0, null, 1, 2, null, 4, 6], [0, 0, 0, 0, 1, 1, 1, 1]);

describeEstimator("group (abstentions)", { create: () => new GroupEstimator(), batch: twoGroups });
describeEstimator("group (batch std, abstentions)", {
  create: () => new GroupEstimator({ scale: "batch" }),
  batch: twoGroups,
});
describeEstimator("rloo (abstentions)", { create: () => new RlooEstimator(), batch: twoGroups });

describe("abstained samples in group estimators", () => {
  it("group, TRL defaults: mean and sample std over the scored samples, 0 for the abstained one", () => {
    const result = new GroupEstimator().estimate(batch([1, 0, null, 1], [0, 0, 0, 0]));
    expectAllClose(result.advantages, trlWorked, 12);
    expect(result.advantages[0]).toBeCloseTo(0.57725, 5);
    expect(result.advantages[1]).toBeCloseTo(-1.154501, 5);
    expect(result.metrics).toEqual({ frac_reward_zero_std: 0 });
    // The plain function takes null for an abstaining sample.
    expectAllClose(computeGroupAdvantages([1, 0, null, 1], 4), trlWorked, 12);
  });

  it('scale "batch": the batch std is taken over the scored rewards only', () => {
    // Scored rewards {1, 0, 1, 2, 4, 6}: mean 14/6 = 7/3; deviations −4/3, −7/3, −4/3, −1/3, 5/3, 11/3;
    //   Σd² = (16 + 49 + 16 + 1 + 25 + 121)/9 = 228/9; sample std sqrt(228/45).
    // Group means over the scored: g0 2/3, g1 (2 + 4 + 6)/3 = 4.
    const d = Math.sqrt(228 / 45) + 1e-4;
    const result = new GroupEstimator({ scale: "batch" }).estimate(twoGroups());
    expectAllClose(result.advantages, [1 / 3 / d, -2 / 3 / d, 0, 1 / 3 / d, -2 / d, 0, 0, 2 / d], 12);
  });

  it('scale "none" centres on the mean of the scored samples', () => {
    const result = new GroupEstimator({ scale: "none" }).estimate(twoGroups());
    expectAllClose(result.advantages, [1 / 3, -2 / 3, 0, 1 / 3, -2, 0, 0, 2], 14);
  });

  it("a group with one scored sample (or none) gets 0 and counts as zero std", () => {
    // g0 = [1, 0, 1] (spread), g1 = [5, null, null] (one scored: its sample std is undefined, TRL gives
    // 0 after nan_to_num), g2 = [null, null, null] (nothing scored). frac_reward_zero_std = 2/3.
    const b = batch([1, 0, 1, 5, null, null, null, null, null], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (const estimator of [
      new GroupEstimator(),
      new GroupEstimator({ scale: "batch" }),
      new GroupEstimator({ scale: "none" }),
      new GroupEstimator({ std: "population", epsilon: 0 }),
      new RlooEstimator(),
    ]) {
      const result = estimator.estimate(b);
      expect([...result.advantages.subarray(3)]).toEqual([0, 0, 0, 0, 0, 0]);
      expect(result.metrics!.frac_reward_zero_std).toBeCloseTo(2 / 3, 15);
    }
  });

  it("a batch where every sample abstained gives zeros, never NaN", () => {
    const b = batch([null, null, null, null], [0, 0, 1, 1]);
    for (const scale of ["group", "batch", "none"] as const) {
      for (const std of ["sample", "population"] as const) {
        const result = new GroupEstimator({ scale, std, epsilon: 0 }).estimate(b);
        expect([...result.advantages]).toEqual([0, 0, 0, 0]);
        expect(result.metrics).toEqual({ frac_reward_zero_std: 1 });
      }
    }
    expect([...new RlooEstimator().estimate(b).advantages]).toEqual([0, 0, 0, 0]);
  });

  it("rloo: leave-one-out baseline over the other scored samples of the group", () => {
    // g0 = [1, 0, null, 1]: scored sum 2. b_0 = (2 − 1)/2 = 0.5 → A 0.5; b_1 = (2 − 0)/2 = 1 → A −1;
    //   b_3 = 0.5 → A 0.5. g1 = [2, null, 4, 6]: sum 12; b = (12 − r)/2 = [5, 4, 3] → A = [−3, 0, 3].
    const result = new RlooEstimator().estimate(twoGroups());
    expectAllClose(result.advantages, [0.5, -1, 0, 0.5, -3, 0, 0, 3], 14);
    expectAllClose(computeRlooAdvantages([1, 0, null, 1], 4), [0.5, -1, 0, 0.5], 14);
  });

  it("NaN is still rejected: null abstains, NaN is an error", () => {
    expect(() => computeGroupAdvantages([1, Number.NaN, null], 3)).toThrow(NonFiniteError);
    expect(() => computeRlooAdvantages([1, null, Number.POSITIVE_INFINITY], 3)).toThrow(/rewards\[2\]/);
  });

  it("checks the length and the entries of batch.abstained", () => {
    const short = { ...twoGroups(), abstained: new Uint8Array(3) };
    expect(() => new GroupEstimator().estimate(short)).toThrow(ShapeError);
    expect(() => new GroupEstimator().estimate(short)).toThrow(/abstained/);
    const bad = { ...twoGroups(), abstained: Uint8Array.of(0, 0, 2, 0, 0, 0, 0, 0) };
    expect(() => new RlooEstimator().estimate(bad)).toThrow(ConfigError);
    expect(() => new RlooEstimator().estimate(bad)).toThrow(/abstained\[2\]: got 2/);
  });
});

describe("abstained samples in other estimators", () => {
  const steps = (): Batch => ({
    numSteps: 2,
    numEnvs: 1,
    rewards: Float64Array.of(1, 0),
    terminated: Uint8Array.of(0, 1),
    truncated: new Uint8Array(2),
    values: Float64Array.of(0, 0),
    truncationValues: new Float64Array(2),
    lastValues: Float64Array.of(0),
  });

  it("returns and gae cannot leave a step out: they throw naming abstained and the fix", () => {
    const abstaining = { ...steps(), abstained: Uint8Array.of(0, 1) };
    for (const estimator of [new ReturnsEstimator(), new GaeEstimator()]) {
      expect(() => estimator.estimate(abstaining)).toThrow(ConfigError);
      expect(() => estimator.estimate(abstaining)).toThrow(
        new RegExp(`abstained\\[1\\]: got 1; the "${estimator.name}" estimator .*group.*rloo`),
      );
      // An abstained array with no abstention changes nothing.
      const none = estimator.estimate({ ...steps(), abstained: new Uint8Array(2) });
      expect([...none.advantages]).toEqual([...estimator.estimate(steps()).advantages]);
    }
  });

  it("hybrid (centred) gives an abstaining executed action 0; the mean variant does not read rewards", () => {
    // Raw tanh, samples [0, 2] at each state: mean f = (tanh 0 + tanh 2)/2 = tanh(2)/2.
    // Centred: A = f(r_executed) − mean f; executed rewards [2, (abstained)] → [tanh(2)/2, 0].
    const actionSamples = { samplesPerState: 2, rewards: Float64Array.of(0, 2, 0, 2) };
    const options = { variant: "centred", transform: "tanh" } as const;
    const centred = computeHybridAdvantages({ actionSamples, rewards: [2, null] }, options);
    expectAllClose(centred.advantages, [Math.tanh(2) / 2, 0], 14);
    const b: Batch = {
      ...steps(),
      rewards: Float64Array.of(2, 0),
      abstained: Uint8Array.of(0, 1),
      actionSamples,
    };
    expectAllClose(new HybridEstimator(options).estimate(b).advantages, [Math.tanh(2) / 2, 0], 14);
    const mean = new HybridEstimator({ gamma: 0.5 });
    expect([...mean.estimate(b).advantages]).toEqual([
      ...mean.estimate({ ...b, abstained: undefined }).advantages,
    ]);
  });

  it("group-process reads step rewards, not outcome rewards: abstained changes nothing", () => {
    const b: Batch = {
      ...batch([1, null], [0, 0]),
      processRewards: {
        sample: Int32Array.of(0, 1),
        endToken: Int32Array.of(0, 0),
        rewards: Float64Array.of(1, 0),
        lengths: Int32Array.of(1, 1),
      },
    };
    const estimator = new ProcessGroupEstimator();
    expect([...estimator.estimate(b).advantages]).toEqual([
      ...estimator.estimate({ ...b, abstained: undefined }).advantages,
    ]);
  });
});

// ---- property: abstaining is the same as leaving the sample out ---------------------------------

const abstainArb = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }))
  .chain(([size, count]) =>
    fc.record({
      groupIds: fc.constant(Array.from({ length: size * count }, (_, i) => ((i / size) | 0) * 7)),
      rewards: fc.array(
        fc.integer({ min: -6, max: 6 }).map((k) => k / 2),
        { minLength: size * count, maxLength: size * count },
      ),
      abstained: fc.array(fc.boolean(), { minLength: size * count, maxLength: size * count }),
      written: fc.integer({ min: -3, max: 3 }),
    }),
  );

describe("abstention properties", () => {
  it("abstaining samples get 0 and leave every other advantage as if they were dropped from the batch", () => {
    fc.assert(
      fc.property(
        abstainArb,
        fc.constantFrom("group" as const, "batch" as const, "none" as const),
        fc.constantFrom("sample" as const, "population" as const),
        fc.constantFrom(0, 1e-4),
        ({ groupIds, rewards, abstained, written }, scale, std, epsilon) => {
          const n = rewards.length;
          // Whatever finite number the trainer wrote for an abstaining sample must not matter.
          const full: Batch = {
            numSteps: 1,
            numEnvs: n,
            rewards: Float64Array.from(rewards, (r, i) => (abstained[i] ? written : r)),
            terminated: new Uint8Array(n).fill(1),
            truncated: new Uint8Array(n),
            groupIds: Int32Array.from(groupIds),
            abstained: Uint8Array.from(abstained, (a) => (a ? 1 : 0)),
          };
          const kept = [...rewards.keys()].filter((i) => !abstained[i]);
          for (const estimator of [new GroupEstimator({ scale, std, epsilon }), new RlooEstimator()]) {
            const a = estimator.estimate(full).advantages;
            for (let i = 0; i < n; i++) if (abstained[i]) expect(a[i]).toBe(0);
            if (kept.length === 0) continue;
            const dropped = estimator.estimate({
              numSteps: 1,
              numEnvs: kept.length,
              rewards: Float64Array.from(kept, (i) => rewards[i]),
              terminated: new Uint8Array(kept.length).fill(1),
              truncated: new Uint8Array(kept.length),
              groupIds: Int32Array.from(kept, (i) => groupIds[i]),
            }).advantages;
            expectAllNear(
              kept.map((i) => a[i]),
              dropped,
              1e-12,
            );
          }
        },
      ),
    );
  });
});
