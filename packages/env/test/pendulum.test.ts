import { describeEnv } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { angleNormalize, InvalidActionError, makeEnv, PendulumEnv } from "../src/index.js";

describeEnv("Pendulum-v1", {
  create: () => makeEnv("Pendulum-v1"),
  maxEpisodeSteps: 200,
  episodes: 2,
  invalidActions: [[2.5], [-3], [0, 0], 1, [Number.NaN]],
});
describeEnv("Pendulum-v1 with ClipAction", {
  create: () => makeEnv("Pendulum-v1", { clipAction: true, maxEpisodeSteps: 20 }),
  maxEpisodeSteps: 20,
  invalidActions: [[0, 0], [Number.NaN]],
});

describe("Pendulum (Gymnasium pendulum.py)", () => {
  it("reward = −(θ² + 0.1·θ̇² + 0.001·u²) with θ normalised, then semi-implicit Euler", () => {
    // θ = π/2, θ̇ = 1, u = 2: cost = (π/2)² + 0.1·1 + 0.001·4 = 2.4674011 + 0.1 + 0.004 = 2.5714011
    // θ̇' = 1 + (3·10/(2·1)·sin(π/2) + 3/(1·1)·2)·0.05 = 1 + 21·0.05 = 2.05; θ' = π/2 + 2.05·0.05
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    env.state = [Math.PI / 2, 1];
    const r = env.step([2]);
    expect(r.reward).toBeCloseTo(-2.5714011002723396, 14);
    expect(env.state[1]).toBeCloseTo(2.05, 14);
    expect(env.state[0]).toBeCloseTo(Math.PI / 2 + 0.1025, 14);
    expect(Array.from(r.obs)).toEqual(
      [Math.cos(Math.PI / 2 + 0.1025), Math.sin(Math.PI / 2 + 0.1025), 2.05].map(Math.fround),
    );
    expect(r).toMatchObject({ terminated: false, truncated: false });
  });

  it("normalises the angle with a floored modulo: 3π/2 costs like −π/2, −3.5 like 2π − 3.5", () => {
    expect(angleNormalize((3 * Math.PI) / 2)).toBeCloseTo(-Math.PI / 2, 14);
    expect(angleNormalize(-3.5)).toBeCloseTo(2 * Math.PI - 3.5, 14);
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    env.state = [(3 * Math.PI) / 2, 0];
    // cost = (π/2)² = 2.4674011002723395
    expect(env.step([0]).reward).toBeCloseTo(-2.4674011002723395, 13);
  });

  it("clips the angular velocity to ±8", () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    env.state = [Math.PI / 2, 7.9];
    env.step([2]);
    expect(env.state[1]).toBe(8);
  });

  it("uses the gravity option", () => {
    // θ̇' = 0 + (3·9.81/2·sin(π/2))·0.05 = 0.73575
    const env = new PendulumEnv({ g: 9.81 });
    env.reset({ seed: 0 });
    env.state = [Math.PI / 2, 0];
    env.step([0]);
    expect(env.state[1]).toBeCloseTo(0.73575, 14);
    expect(() => new PendulumEnv({ g: Number.NaN })).toThrow(/env\.g/);
  });

  it("rejects a torque outside [−2, 2]; ClipAction clips it to the same step as ±2", () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    expect(() => env.step([2.5])).toThrow(InvalidActionError);
    const clipped = makeEnv("Pendulum-v1", { clipAction: true });
    const plain = makeEnv("Pendulum-v1");
    clipped.reset({ seed: 4 });
    plain.reset({ seed: 4 });
    expect(clipped.step([5]).reward).toBe(plain.step([2]).reward);
    expect(clipped.step([-1e9]).obs).toEqual(plain.step([-2]).obs);
  });

  it("starts with θ uniform in [−π, π] and θ̇ uniform in [−1, 1]", () => {
    const env = new PendulumEnv();
    env.reset({ seed: 1 });
    let maxTheta = 0;
    for (let i = 0; i < 500; i++) {
      const [theta, thetaDot] = env.state;
      expect(Math.abs(theta)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(thetaDot)).toBeLessThanOrEqual(1);
      maxTheta = Math.max(maxTheta, Math.abs(theta));
      env.reset();
    }
    expect(maxTheta).toBeGreaterThan(3);
  });
});
