import { type Batch, ConfigError, NonFiniteError, ShapeError } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeGroupAdvantages, GroupEstimator } from "../src/index.js";
import { expectAllClose, expectAllNear } from "./helpers.js";

// Three contiguous groups of 4:
//   g1 = [1, 0, 0, 1]: mean 0.5, deviations ±0.5, Σd² = 1 → sample std sqrt(1/3), population std 0.5
//   g2 = [1, 1, 1, 1]: all equal → 0
//   g3 = [2, 4, 6, 0]: mean 3, deviations [−1, 1, 3, −3], Σd² = 20 → sample std sqrt(20/3), population sqrt(5)
// Whole batch (for scale "batch"): sum 18, mean 1.5, Σ(r − 1.5)² = 35 → sample std sqrt(35/11).
const rewards = [1, 0, 0, 1, 1, 1, 1, 1, 2, 4, 6, 0];
const centred = [0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0, -1, 1, 3, -3];

describe("computeGroupAdvantages (hand-worked)", () => {
  it("TRL default: (r − mean_g)/(sample std_g + 1e-4)", () => {
    const s1 = Math.sqrt(1 / 3) + 1e-4;
    const s3 = Math.sqrt(20 / 3) + 1e-4;
    expectAllClose(
      computeGroupAdvantages(rewards, 4),
      centred.map((d, i) => (i < 4 ? d / s1 : i < 8 ? 0 : d / s3)),
      14,
    );
  });

  it("population std without ε", () => {
    expectAllClose(
      computeGroupAdvantages(rewards, 4, { std: "population", epsilon: 0 }),
      [1, -1, -1, 1, 0, 0, 0, 0, ...[-1, 1, 3, -3].map((d) => d / Math.sqrt(5))],
      14,
    );
  });

  it("ε under the square root (off-policy GRPO): (r − mean)/sqrt(std² + ε)", () => {
    const s1 = Math.sqrt(0.25 + 1e-4);
    const s3 = Math.sqrt(5 + 1e-4);
    expectAllClose(
      computeGroupAdvantages(rewards, 4, { std: "population", epsilonPlacement: "variance" }),
      centred.map((d, i) => (i < 4 ? d / s1 : i < 8 ? 0 : d / s3)),
      14,
    );
  });

  it('scale "batch": group mean, one sample std over the batch (TRL, Lite-PPO)', () => {
    const s = Math.sqrt(35 / 11) + 1e-4;
    expectAllClose(
      computeGroupAdvantages(rewards, 4, { scale: "batch" }),
      centred.map((d) => d / s),
      14,
    );
    // Population: Σ/12.
    const p = Math.sqrt(35 / 12);
    expectAllClose(
      computeGroupAdvantages(rewards, 4, { scale: "batch", std: "population", epsilon: 0 }),
      centred.map((d) => d / p),
      14,
    );
  });

  it('scale "none" is mean-centring only (Dr. GRPO)', () => {
    expect([...computeGroupAdvantages(rewards, 4, { scale: "none" })]).toEqual(centred);
  });

  it("a group of size 1 gets 0 under every scale, even with ε = 0", () => {
    for (const scale of ["group", "batch", "none"] as const) {
      for (const std of ["sample", "population"] as const) {
        expect([...computeGroupAdvantages([3, -2, 7], 1, { scale, std, epsilon: 0 })]).toEqual([0, 0, 0]);
      }
    }
  });

  it("an all-equal group gets exactly 0 (no rounding noise), with or without ε", () => {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004, so the computed mean is not exactly 0.1.
    expect([...computeGroupAdvantages([0.1, 0.1, 0.1], 3, { epsilon: 0 })]).toEqual([0, 0, 0]);
    expect([...computeGroupAdvantages([0.1, 0.1, 0.1], 3, { scale: "none" })]).toEqual([0, 0, 0]);
  });

  it("groups by id when the ids are not contiguous", () => {
    // ids 7: [1, 0] → ±0.5/(sqrt(0.5) + 1e-4); ids 3: [2, 4] → ∓1/(sqrt(2) + 1e-4); id 9: [5] alone → 0.
    const a = computeGroupAdvantages([1, 2, 0, 4, 5], Int32Array.of(7, 3, 7, 3, 9));
    const s7 = Math.sqrt(0.5) + 1e-4;
    const s3 = Math.sqrt(2) + 1e-4;
    expectAllClose(a, [0.5 / s7, -1 / s3, -0.5 / s7, 1 / s3, 0], 14);
  });

  it("groups by sparse ids (far apart, negative) the same way", () => {
    const sparse = computeGroupAdvantages(
      [1, 2, 0, 4, 5],
      Int32Array.of(2_000_000_000, -7, 2_000_000_000, -7, 0),
    );
    const dense = computeGroupAdvantages([1, 2, 0, 4, 5], Int32Array.of(7, 3, 7, 3, 9));
    expect([...sparse]).toEqual([...dense]);
    expect(() => computeGroupAdvantages([1, 2], [0, 0.5])).toThrow(/groupIds\[1\]/);
  });

  it("rejects NaN/±Infinity rewards, a size that does not divide the batch, and bad options", () => {
    expect(() => computeGroupAdvantages([1, Number.NaN], 2)).toThrow(NonFiniteError);
    expect(() => computeGroupAdvantages([1, Number.NEGATIVE_INFINITY], 2)).toThrow(/rewards\[1\]/);
    expect(() => computeGroupAdvantages([1, 2, 3], 2)).toThrow(ShapeError);
    expect(() => computeGroupAdvantages([1, 2, 3], 0)).toThrow(ConfigError);
    expect(() => computeGroupAdvantages([1, 2], Int32Array.of(1))).toThrow(/groupIds/);
    expect(() => computeGroupAdvantages([1, 2], 2, { scale: "prompt" as "group" })).toThrow(
      /advantage\.scale/,
    );
    expect(() => computeGroupAdvantages([1, 2], 2, { std: "unbiased" as "sample" })).toThrow(
      /advantage\.std/,
    );
    expect(() => computeGroupAdvantages([1, 2], 2, { epsilon: -1 })).toThrow(/advantage\.epsilon/);
  });
});

function groupBatch(): Batch {
  return {
    numSteps: 1,
    numEnvs: 12,
    rewards: Float64Array.from(rewards),
    terminated: new Uint8Array(12).fill(1),
    truncated: new Uint8Array(12),
    groupIds: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]),
  };
}

describeEstimator("group (TRL default)", { create: () => new GroupEstimator(), batch: groupBatch });
describeEstimator("group (batch std)", {
  create: () => new GroupEstimator({ scale: "batch" }),
  batch: groupBatch,
});
describeEstimator("group (Dr. GRPO)", {
  create: () => new GroupEstimator({ scale: "none" }),
  batch: groupBatch,
});
describeEstimator("group (groupSize, no ids)", {
  create: () => new GroupEstimator({ groupSize: 4, std: "population" }),
  batch: groupBatch,
});

describe("GroupEstimator", () => {
  it("reads groupIds and reports the share of zero-std groups", () => {
    const result = new GroupEstimator({ scale: "none" }).estimate(groupBatch());
    expect([...result.advantages]).toEqual(centred);
    expect(result.metrics).toEqual({ frac_reward_zero_std: 1 / 3 });
  });

  it("with groupSize set, needs no groupIds", () => {
    const estimator = new GroupEstimator({ groupSize: 4, scale: "none" });
    expect(estimator.requires).toEqual([]);
    expect([...estimator.estimate({ ...groupBatch(), groupIds: undefined }).advantages]).toEqual(centred);
    expect(() => new GroupEstimator({ groupSize: 0 })).toThrow(/advantage\.groupSize/);
    expect(() => new GroupEstimator({ groupSize: 5 }).estimate(groupBatch())).toThrow(/rewards/);
  });

  it("rejects unknown options", () => {
    expect(() => new GroupEstimator({ eps: 1e-6 })).toThrow(/advantage\.eps.*known options/);
  });
});

// ---- properties ---------------------------------------------------------------------------------

/** Contiguous groups with small integer rewards (halves), so that shifts by integers are exact. */
const groupsArb = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }))
  .chain(([size, count]) =>
    fc.record({
      size: fc.constant(size),
      rewards: fc.array(
        fc.integer({ min: -6, max: 6 }).map((k) => k / 2),
        { minLength: size * count, maxLength: size * count },
      ),
      group: fc.integer({ min: 0, max: count - 1 }),
      shift: fc.integer({ min: -50, max: 50 }),
    }),
  );

const optionsArb = fc.record({
  std: fc.constantFrom("sample" as const, "population" as const),
  epsilon: fc.constantFrom(0, 1e-8, 1e-4),
  epsilonPlacement: fc.constantFrom("std" as const, "variance" as const),
});

describe("group properties", () => {
  it("adding a constant to one group's rewards leaves the advantages unchanged (scale group, none)", () => {
    fc.assert(
      fc.property(
        groupsArb,
        optionsArb,
        fc.constantFrom("group" as const, "none" as const),
        (g, o, scale) => {
          const shifted = g.rewards.map((r, i) => (((i / g.size) | 0) === g.group ? r + g.shift : r));
          expectAllNear(
            computeGroupAdvantages(shifted, g.size, { ...o, scale }),
            computeGroupAdvantages(g.rewards, g.size, { ...o, scale }),
          );
        },
      ),
    );
  });

  it("adding a constant to every reward leaves batch-scaled advantages unchanged", () => {
    fc.assert(
      fc.property(groupsArb, optionsArb, (g, o) => {
        const shifted = g.rewards.map((r) => r + g.shift);
        expectAllNear(
          computeGroupAdvantages(shifted, g.size, { ...o, scale: "batch" }),
          computeGroupAdvantages(g.rewards, g.size, { ...o, scale: "batch" }),
        );
      }),
    );
  });

  it('scale "group" has zero mean in every group, and unit population std when ε = 0', () => {
    fc.assert(
      fc.property(groupsArb, (g) => {
        const a = computeGroupAdvantages(g.rewards, g.size, { std: "population", epsilon: 0 });
        for (let start = 0; start < a.length; start += g.size) {
          const group = a.subarray(start, start + g.size);
          const m = group.reduce((s, x) => s + x, 0) / g.size;
          expect(Math.abs(m)).toBeLessThan(1e-12);
          const variance = group.reduce((s, x) => s + (x - m) ** 2, 0) / g.size;
          const constant = g.rewards.slice(start, start + g.size).every((r) => r === g.rewards[start]);
          expect(variance).toBeCloseTo(constant ? 0 : 1, 12);
        }
      }),
    );
  });

  it("grouping by shuffled ids gives the same advantages as contiguous groups", () => {
    fc.assert(
      fc.property(
        groupsArb.chain((g) =>
          fc.record({
            g: fc.constant(g),
            order: fc.shuffledSubarray([...g.rewards.keys()], { minLength: g.rewards.length }),
          }),
        ),
        optionsArb,
        ({ g, order }, o) => {
          const contiguous = computeGroupAdvantages(g.rewards, g.size, o);
          // Sample k of the shuffled batch is sample order[k]; its id is that sample's group times 13 (not contiguous, not dense).
          const byId = computeGroupAdvantages(
            order.map((i) => g.rewards[i]),
            Int32Array.from(order, (i) => ((i / g.size) | 0) * 13),
            o,
          );
          expectAllNear(
            byId,
            order.map((i) => contiguous[i]),
            1e-12,
          );
        },
      ),
    );
  });
});
