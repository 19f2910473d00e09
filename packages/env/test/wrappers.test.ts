import { ConfigError, StateError } from "@rlts/core";
import { describeEnv } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import {
  Box,
  CartPoleEnv,
  ClipAction,
  Discrete,
  type Env,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  type ResetResult,
  RunningMeanStd,
  type StepResult,
  TimeLimit,
} from "../src/index.js";

/** A scripted env: observation [t], reward rewards[t], terminates after `rewards.length` steps. */
class Scripted implements Env<Float32Array, number> {
  readonly observationSpace = new Box(-1e9, 1e9, [1]);
  readonly actionSpace = new Discrete(2);
  t = 0;
  constructor(
    private readonly rewards: number[],
    private readonly obs: (t: number) => number = (t) => t,
  ) {}
  get unwrapped(): Env {
    return this;
  }
  reset(): ResetResult<Float32Array> {
    this.t = 0;
    return { obs: Float32Array.of(this.obs(0)), info: {} };
  }
  step(): StepResult<Float32Array> {
    const reward = this.rewards[this.t++];
    return {
      obs: Float32Array.of(this.obs(this.t)),
      reward,
      terminated: this.t === this.rewards.length,
      truncated: false,
      info: { inner: this.t },
    };
  }
  close(): void {}
}

describeEnv("CartPoleEnv under every wrapper", {
  create: () =>
    new NormalizeReward(
      new NormalizeObservation(new RecordEpisodeStatistics(new TimeLimit(new CartPoleEnv(), 50))),
    ),
  maxEpisodeSteps: 50,
  invalidActions: [2],
});

describe("TimeLimit", () => {
  it("truncates exactly at the limit and requires a reset", () => {
    const env = new TimeLimit(new Scripted(new Array(10).fill(1)), 3);
    env.reset();
    expect(env.step(0).truncated).toBe(false);
    expect(env.step(0).truncated).toBe(false);
    expect(env.step(0)).toMatchObject({ truncated: true, terminated: false });
    expect(() => env.step(0)).toThrow(StateError);
    env.reset();
    expect(env.elapsed).toBe(0);
    expect(env.spec.maxEpisodeSteps).toBe(3);
  });

  it("rejects a limit below 1", () => {
    expect(() => new TimeLimit(new CartPoleEnv(), 0)).toThrow(/maxEpisodeSteps/);
  });
});

describe("RecordEpisodeStatistics", () => {
  it("reports return and length on the last step only, keeping the inner info", () => {
    const env = new RecordEpisodeStatistics(new Scripted([1, 2, 3.5]), 2);
    for (let e = 0; e < 3; e++) {
      env.reset();
      expect(env.step(0).info.episode).toBeUndefined();
      env.step(0);
      const last = env.step(0);
      expect(last.info).toMatchObject({ inner: 3, episode: { r: 6.5, l: 3 } });
    }
    expect(env.episodeCount).toBe(3);
    expect(env.returnQueue).toEqual([6.5, 6.5]);
    expect(env.lengthQueue).toEqual([3, 3]);
  });
});

describe("RunningMeanStd", () => {
  it("matches Gymnasium's update for one sample, worked by hand", () => {
    // count 1e-4, mean 0, var 1; add x = 2: tot = 1.0001, mean = 2/1.0001,
    // var = (1·1e-4 + 4·1e-4·1/1.0001) / 1.0001
    const rms = new RunningMeanStd(1);
    rms.update([2]);
    expect(rms.mean[0]).toBeCloseTo(2 / 1.0001, 14);
    expect(rms.var[0]).toBeCloseTo((1e-4 + (4 * 1e-4) / 1.0001) / 1.0001, 14);
    expect(rms.count).toBeCloseTo(1.0001, 14);
  });

  it("converges to the sample mean and population variance", () => {
    const rms = new RunningMeanStd(2);
    const xs = [1, 4, 4, 7, 9, 2, 3];
    for (const x of xs) rms.update([x, -2 * x]);
    // mean 30/7 ≈ 4.2857, population var = Σ(x − mean)²/7 = 45.43/7 ≈ 6.4898 (the 1e-4 prior count
    // shifts them by ~1e-4 relatively).
    expect(rms.mean[0]).toBeCloseTo(30 / 7, 3);
    expect(rms.mean[1]).toBeCloseTo(-60 / 7, 3);
    const pop = xs.reduce((s, x) => s + (x - 30 / 7) ** 2, 0) / 7;
    expect(rms.var[0]).toBeCloseTo(pop, 3);
    expect(rms.var[1]).toBeCloseTo(4 * pop, 2);
  });
});

describe("NormalizeObservation", () => {
  it("returns (obs − mean)/sqrt(var + 1e-8) after updating with the obs, and can be frozen", () => {
    const env = new NormalizeObservation(new Scripted([0, 0, 0], (t) => 2 + t));
    const { obs } = env.reset();
    // After one update with x = 2 (see RunningMeanStd above): (2 − 2/1.0001)/sqrt(var + 1e-8).
    const mean = 2 / 1.0001;
    const variance = (1e-4 + (4 * 1e-4) / 1.0001) / 1.0001;
    expect(obs[0]).toBeCloseTo(Math.fround((2 - mean) / Math.sqrt(variance + 1e-8)), 5);
    expect(env.observationSpace.contains(Float32Array.of(1e30))).toBe(true);
    env.updateRunningMean = false;
    const before = env.rms.mean[0];
    env.step(0);
    expect(env.rms.mean[0]).toBe(before);
  });
});

describe("NormalizeReward", () => {
  it("divides by the std of the discounted return (worked for rewards 1, 1)", () => {
    // G1 = 1: mean = 1/1.0001, var = (1e-4 + 1e-4/1.0001)/1.0001 = 1.9997e-4 → r/sqrt(var + 1e-8) = 70.7142
    // G2 = 0.99·1 + 1 = 1.99: var becomes 0.2451745 → 1/sqrt(0.2451745) = 2.019586
    const env = new NormalizeReward(new Scripted([1, 1, 1]));
    env.reset();
    expect(env.step(0).reward).toBeCloseTo(70.71421321062337, 8);
    expect(env.step(0).reward).toBeCloseTo(2.019586009822606, 10);
  });

  it("restarts the discounted return after termination", () => {
    const a = new NormalizeReward(new Scripted([1]));
    a.reset();
    a.step(0);
    a.reset();
    a.step(0);
    // After termination G restarts at r = 1, so the second update adds the same G = 1 again.
    const b = new RunningMeanStd(1);
    b.update([1]);
    b.update([1]);
    expect(a.rms.var[0]).toBeCloseTo(b.var[0], 15);
  });

  it("rejects gamma outside [0, 1]", () => {
    expect(() => new NormalizeReward(new CartPoleEnv(), { gamma: 1.5 })).toThrow(ConfigError);
  });
});

describe("ClipAction", () => {
  it("widens the action space to R^n and clips into the inner box", () => {
    const seen: number[] = [];
    const inner: Env<Float32Array, ArrayLike<number>> = {
      observationSpace: new Box(-1, 1, [1]),
      actionSpace: new Box([-1, 0], [1, 2]),
      get unwrapped() {
        return this as Env;
      },
      reset: () => ({ obs: Float32Array.of(0), info: {} }),
      step: (a) => {
        seen.push(...Array.from(a));
        return { obs: Float32Array.of(0), reward: 0, terminated: false, truncated: false, info: {} };
      },
      close: () => {},
    };
    const env = new ClipAction(inner);
    expect(env.actionSpace.contains([100, -100])).toBe(true);
    env.step([100, -100]);
    env.step([0.5, 1.5]);
    expect(seen).toEqual([1, 0, 0.5, 1.5]);
  });

  it("refuses a discrete action space", () => {
    expect(() => new ClipAction(new CartPoleEnv() as unknown as Env<unknown, ArrayLike<number>>)).toThrow(
      /env\.clipAction/,
    );
  });
});
