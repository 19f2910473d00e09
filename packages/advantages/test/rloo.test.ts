import type { Batch } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeRlooAdvantages, RlooEstimator } from "../src/index.js";
import { expectAllClose, expectAllNear } from "./helpers.js";

function rlooBatch(): Batch {
  return {
    numSteps: 1,
    numEnvs: 7,
    rewards: Float64Array.of(1, 2, 3, 6, 5, 0.5, 0.5),
    terminated: new Uint8Array(7).fill(1),
    truncated: new Uint8Array(7),
    groupIds: Int32Array.of(4, 4, 4, 4, 8, 2, 2),
  };
}

describeEstimator("rloo", { create: () => new RlooEstimator(), batch: rlooBatch });
describeEstimator("rloo (groupSize)", {
  create: () => new RlooEstimator({ groupSize: 1 }),
  batch: rlooBatch,
});

describe("computeRlooAdvantages", () => {
  it("subtracts the mean of the other samples of the group", () => {
    // [1, 2, 3, 6], Σ = 12: baselines (12 − r)/3 = [11/3, 10/3, 3, 2] → A = [−8/3, −4/3, 0, 4].
    expectAllClose(computeRlooAdvantages([1, 2, 3, 6], 4), [-8 / 3, -4 / 3, 0, 4], 14);
    // [0, 1]: each one's baseline is the other's reward → A = [−1, 1].
    expect([...computeRlooAdvantages([0, 1], 2)]).toEqual([-1, 1]);
  });

  it("gives 0 to a group of one and to a group of equal rewards", () => {
    expect([...computeRlooAdvantages([3, -1], 1)]).toEqual([0, 0]);
    expect([...computeRlooAdvantages([0.1, 0.1, 0.1], 3)]).toEqual([0, 0, 0]);
  });

  it("groups by id", () => {
    const result = new RlooEstimator().estimate(rlooBatch());
    // id 4: [1, 2, 3, 6] as above; id 8: [5] alone → 0; id 2: [0.5, 0.5] equal → 0.
    expectAllClose(result.advantages, [-8 / 3, -4 / 3, 0, 4, 0, 0, 0], 14);
    expect(result.metrics).toEqual({ frac_reward_zero_std: 2 / 3 });
    expect(() => new RlooEstimator({ k: 4 })).toThrow(/advantage\.k/);
  });

  it("equals G/(G−1) times the mean-centred reward (property)", () => {
    const arb = fc.integer({ min: 2, max: 8 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        rewards: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
          minLength: size * 3,
          maxLength: size * 3,
        }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ size, rewards }) => {
        const expected = rewards.map((r, i) => {
          const start = i - (i % size);
          const group = rewards.slice(start, start + size);
          if (group.every((x) => x === group[0])) return 0;
          const m = group.reduce((s, x) => s + x, 0) / size;
          return (size / (size - 1)) * (r - m);
        });
        expectAllNear(computeRlooAdvantages(rewards, size), expected, 1e-9);
      }),
    );
  });
});
