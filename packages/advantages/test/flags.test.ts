import { type Batch, ConfigError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import {
  computeGae,
  computeHybridAdvantages,
  computeReturns,
  GaeEstimator,
  GroupEstimator,
  HybridEstimator,
  ProcessGroupEstimator,
  ReturnsEstimator,
  RlooEstimator,
} from "../src/index.js";

// Gymnasium's step() returns booleans; they must mean exactly what 0/1 mean.
//
// GAE rollout (the one worked by hand in gae.test.ts), one env, T = 6, γ = λ = 0.5:
//   r = [1, 0, 2, 1, 0, 1], V = [2, 4, 2, 4, 2, 4], terminated at t = 2, truncated at t = 4 with
//   V(final obs) = 8, V(s_6) = 2  →  A = [0.25, −3, 0, −1.5, 2, −2], R = A + V = [2.25, 1, 2, 2.5, 4, 2].
// Returns rollout (the one worked by hand in returns.test.ts), γ = 0.5:
//   r = [1, 2, 0, 4, 2], terminated at t = 1, truncated at t = 3 with V(final obs) = 8, V(s_5) = 4
//   →  G = [2, 2, 4, 8, 4].
const gaeRollout = {
  rewards: [1, 0, 2, 1, 0, 1],
  values: [2, 4, 2, 4, 2, 4],
  truncationValues: [0, 0, 0, 0, 8, 0],
  lastValue: 2,
};
const gaeTerminated = [false, false, true, false, false, false];
const gaeTruncated = [false, false, false, false, true, false];
const gaeAdvantages = [0.25, -3, 0, -1.5, 2, -2];

const returnsRollout = { rewards: [1, 2, 0, 4, 2], truncationValues: [0, 0, 0, 8, 0], lastValue: 4 };
const returnsTerminated = [false, true, false, false, false];
const returnsTruncated = [false, false, false, true, false];

const bits = (flags: readonly boolean[]) => Uint8Array.from(flags, (f) => (f ? 1 : 0));

describe("boolean terminated/truncated flags", () => {
  it("computeGae gives the hand-worked numbers for booleans, as for 0/1", () => {
    const withBooleans = computeGae(
      { ...gaeRollout, terminated: gaeTerminated, truncated: gaeTruncated },
      { gamma: 0.5, lambda: 0.5 },
    );
    const withBits = computeGae(
      { ...gaeRollout, terminated: bits(gaeTerminated), truncated: bits(gaeTruncated) },
      { gamma: 0.5, lambda: 0.5 },
    );
    expect([...withBooleans.advantages]).toEqual(gaeAdvantages);
    expect([...withBooleans.returns]).toEqual([2.25, 1, 2, 2.5, 4, 2]);
    expect([...withBits.advantages]).toEqual(gaeAdvantages);
  });

  it("GaeEstimator reads boolean arrays in a Batch", () => {
    const batch = (terminated: Batch["terminated"], truncated: Batch["truncated"]): Batch => ({
      numSteps: 6,
      numEnvs: 1,
      rewards: Float64Array.from(gaeRollout.rewards),
      values: Float64Array.from(gaeRollout.values),
      terminated,
      truncated,
      truncationValues: Float64Array.from(gaeRollout.truncationValues),
      lastValues: Float64Array.of(gaeRollout.lastValue),
    });
    const estimator = new GaeEstimator({ gamma: 0.5, lambda: 0.5 });
    expect([...estimator.estimate(batch(gaeTerminated, gaeTruncated)).advantages]).toEqual(gaeAdvantages);
    expect([...estimator.estimate(batch(bits(gaeTerminated), bits(gaeTruncated))).advantages]).toEqual(
      gaeAdvantages,
    );
  });

  it("computeReturns and ReturnsEstimator give G = [2, 2, 4, 8, 4] for booleans", () => {
    const G = computeReturns(
      { ...returnsRollout, terminated: returnsTerminated, truncated: returnsTruncated },
      { gamma: 0.5 },
    );
    expect([...G.returns]).toEqual([2, 2, 4, 8, 4]);
    const batch: Batch = {
      numSteps: 5,
      numEnvs: 1,
      rewards: Float64Array.from(returnsRollout.rewards),
      terminated: returnsTerminated,
      truncated: returnsTruncated,
      truncationValues: Float64Array.from(returnsRollout.truncationValues),
      lastValues: Float64Array.of(returnsRollout.lastValue),
    };
    expect([...new ReturnsEstimator({ gamma: 0.5 }).estimate(batch).returns!]).toEqual([2, 2, 4, 8, 4]);
  });

  it("the group estimators accept boolean flags (their advantages do not depend on them)", () => {
    // One group [1, 0, 0, 1] under Dr. GRPO: r − 0.5.
    const batch = (terminated: Batch["terminated"], truncated: Batch["truncated"]): Batch => ({
      numSteps: 1,
      numEnvs: 4,
      rewards: Float64Array.of(1, 0, 0, 1),
      terminated,
      truncated,
      groupIds: Int32Array.of(0, 0, 0, 0),
    });
    const group = new GroupEstimator({ scale: "none" });
    expect([
      ...group.estimate(batch([true, true, true, true], [false, false, false, false])).advantages,
    ]).toEqual([0.5, -0.5, -0.5, 0.5]);
    // RLOO on [1, 0, 0, 1]: 4/3·(r − 0.5) = ±2/3.
    const rloo = new RlooEstimator().estimate(batch([true, true, true, true], [false, false, false, false]));
    expect([...rloo.advantages].map((a) => Math.round(a * 3))).toEqual([2, -2, -2, 2]);
  });

  it("hybrid: boolean flags in the value term give the same numbers as 0/1", () => {
    // One state's samples all equal (f ≡ 0), so A is the TD error: V = [1, 3], γ = 0.5, V(s_2) = 4.
    //   terminated at t = 0: A0 = 0 − 1 = −1; A1 = 0 + 0.5·4 − 3 = −1.
    //   not terminated:      A0 = 0 + 0.5·3 − 1 = 0.5.
    const actionSamples = { samplesPerState: 2, rewards: Float64Array.of(1, 1, 1, 1) };
    const input = { actionSamples, values: [1, 3], lastValue: 4 };
    const withBooleans = computeHybridAdvantages(
      { ...input, terminated: [true, false], truncated: [false, false] },
      { gamma: 0.5 },
    );
    expect([...withBooleans.advantages]).toEqual([-1, -1]);
    const batch = (terminated: Batch["terminated"]): Batch => ({
      numSteps: 2,
      numEnvs: 1,
      rewards: Float64Array.of(1, 1),
      terminated,
      truncated: [false, false],
      values: Float64Array.of(1, 3),
      truncationValues: new Float64Array(2),
      lastValues: Float64Array.of(4),
      actionSamples,
    });
    const hybrid = new HybridEstimator({ gamma: 0.5 });
    expect([...hybrid.estimate(batch([false, false])).advantages]).toEqual([0.5, -1]);
    expect([...hybrid.estimate(batch(Uint8Array.of(0, 0))).advantages]).toEqual([0.5, -1]);
    expect([...hybrid.estimate(batch([true, false])).advantages]).toEqual([-1, -1]);
  });

  it("rejects a flag that is not 0, 1, true or false, naming the field and index", () => {
    const bad = { ...gaeRollout, terminated: [0, 0, 2, 0, 0, 0], truncated: bits(gaeTruncated) };
    expect(() => computeGae(bad)).toThrow(ConfigError);
    expect(() => computeGae(bad)).toThrow(/terminated\[2\]: got 2; use 0\/1 or false\/true/);
    const yes = ["yes", 0, 0, 0, 0] as unknown as number[];
    expect(() =>
      computeReturns({ ...returnsRollout, terminated: bits(returnsTerminated), truncated: yes }),
    ).toThrow(/truncated\[0\]: got "yes"/);
    const batch: Batch = {
      numSteps: 1,
      numEnvs: 2,
      rewards: Float64Array.of(1, 0),
      terminated: Uint8Array.of(1, 2),
      truncated: new Uint8Array(2),
      groupIds: Int32Array.of(0, 0),
    };
    for (const estimator of [new GroupEstimator(), new RlooEstimator()]) {
      expect(() => estimator.estimate(batch)).toThrow(/terminated\[1\]: got 2/);
    }
    const process: Batch = {
      ...batch,
      terminated: [true, true],
      truncated: [false, 3 as unknown as boolean],
      processRewards: {
        sample: Int32Array.of(0),
        endToken: Int32Array.of(0),
        rewards: Float64Array.of(1),
        lengths: Int32Array.of(1, 1),
      },
    };
    expect(() => new ProcessGroupEstimator().estimate(process)).toThrow(/truncated\[1\]: got 3/);
  });

  it("a missing bootstrap value is reported as missing, without talking about graders", () => {
    // The last step does not end its episode, so V(s_T) is needed.
    const open = { rewards: [1, 0], values: [0, 0], terminated: [false, false], truncated: [false, false] };
    expect(() => computeGae(open)).toThrow(/lastValue: got undefined; the last step did not end its episode/);
    expect(() => computeGae(open)).not.toThrow(/grader/);
  });
});
