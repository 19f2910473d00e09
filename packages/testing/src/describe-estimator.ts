import type { AdvantageEstimator, Batch } from "@rlts/core";
import { NonFiniteError, RltsError } from "@rlts/core";
import { describe, expect, it } from "vitest";

/** How {@link describeEstimator} builds its inputs for one estimator. */
export interface EstimatorConformanceOptions {
  /** Builds a fresh estimator (called once per check). */
  readonly create: () => AdvantageEstimator;
  /**
   * A valid batch with every field the estimator requires. The suite mutates copies of it to make
   * bad inputs, so its rewards must be non-empty.
   */
  readonly batch: () => Batch;
}

function copyBatch(batch: Batch, patch: Partial<Batch>): Batch {
  return { ...batch, ...patch };
}

/**
 * The contract every advantage estimator meets: it names itself, declares what it requires and fails
 * clearly without it, returns one finite advantage per step, does not modify its input, is
 * deterministic, and rejects NaN/±Infinity rewards and mismatched lengths instead of propagating them.
 */
export function describeEstimator(label: string, options: EstimatorConformanceOptions): void {
  describe(`AdvantageEstimator conformance: ${label}`, () => {
    it("has a name and declares its required fields", () => {
      const estimator = options.create();
      expect(typeof estimator.name).toBe("string");
      expect(estimator.name.length).toBeGreaterThan(0);
      expect(Array.isArray(estimator.requires)).toBe(true);
      const batch = options.batch();
      for (const field of estimator.requires) expect(batch[field], `test batch lacks ${field}`).toBeDefined();
    });

    it("returns one finite advantage per step (and returns of the same length, if any)", () => {
      const batch = options.batch();
      const result = options.create().estimate(batch);
      expect(result.advantages).toBeInstanceOf(Float64Array);
      expect(result.advantages.length).toBe(batch.numSteps * batch.numEnvs);
      for (const a of result.advantages) expect(Number.isFinite(a)).toBe(true);
      if (result.returns) expect(result.returns.length).toBe(result.advantages.length);
    });

    it("does not modify its input and gives the same output twice", () => {
      const batch = options.batch();
      const rewardsBefore = Float64Array.from(batch.rewards);
      const valuesBefore = batch.values ? Float64Array.from(batch.values) : undefined;
      const first = options.create().estimate(batch);
      const second = options.create().estimate(batch);
      expect(batch.rewards).toEqual(rewardsBefore);
      if (valuesBefore) expect(batch.values).toEqual(valuesBefore);
      expect(second.advantages).toEqual(first.advantages);
    });

    it("rejects NaN and ±Infinity rewards with an error naming the field", () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const batch = options.batch();
        const rewards = Float64Array.from(batch.rewards);
        rewards[rewards.length - 1] = bad;
        expect(() => options.create().estimate(copyBatch(batch, { rewards }))).toThrow(NonFiniteError);
        expect(() => options.create().estimate(copyBatch(batch, { rewards }))).toThrow(/rewards\[/);
      }
    });

    it("rejects rewards whose length does not match the batch shape", () => {
      const batch = options.batch();
      const rewards = Float64Array.from([...batch.rewards, 1]);
      expect(() => options.create().estimate(copyBatch(batch, { rewards }))).toThrow(RltsError);
      expect(() => options.create().estimate(copyBatch(batch, { rewards }))).toThrow(/rewards/);
    });

    it("fails clearly when a required field is missing", () => {
      const estimator = options.create();
      for (const field of estimator.requires) {
        const batch = copyBatch(options.batch(), { [field]: undefined });
        expect(() => options.create().estimate(batch)).toThrow(new RegExp(field));
      }
    });
  });
}
