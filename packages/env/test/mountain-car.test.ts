import { describeEnv } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { MountainCarEnv, makeEnv } from "../src/index.js";

describeEnv("MountainCar-v0", {
  create: () => makeEnv("MountainCar-v0"),
  maxEpisodeSteps: 200,
  invalidActions: [3, -1, 0.5],
});

describe("MountainCar dynamics (Gymnasium mountain_car.py)", () => {
  it("one push right from the valley floor", () => {
    // v = 0 + (2 − 1)·0.001 + cos(3·(−0.5))·(−0.0025) = 0.001 − 0.0707372·0.0025 = 0.000823157
    // p = −0.5 + 0.000823157 = −0.499176843
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-0.5, 0];
    const r = env.step(2);
    expect(env.state[1]).toBeCloseTo(0.0008231569958307428, 15);
    expect(env.state[0]).toBeCloseTo(-0.49917684300416926, 15);
    expect(r).toMatchObject({ reward: -1, terminated: false, truncated: false });
  });

  it("the left wall is inelastic and speed is clipped to 0.07", () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-1.19, -0.07];
    env.step(0);
    expect(Array.from(env.state)).toEqual([-1.2, 0]);
    env.state = [-0.5, 0.0699];
    env.step(2);
    expect(env.state[1]).toBe(0.07);
  });

  it("terminates at position ≥ 0.5 with velocity ≥ goalVelocity", () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [0.49, 0.02];
    expect(env.step(2).terminated).toBe(true);
    const picky = new MountainCarEnv({ goalVelocity: 0.05 });
    picky.reset({ seed: 0 });
    picky.state = [0.49, 0.02];
    expect(picky.step(2).terminated).toBe(false);
  });

  it("starts at position uniform in [−0.6, −0.4] with velocity 0", () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 9 });
    for (let i = 0; i < 200; i++) {
      const [p, v] = env.state;
      expect(p >= -0.6 && p < -0.4).toBe(true);
      expect(v).toBe(0);
      env.reset();
    }
  });
});
