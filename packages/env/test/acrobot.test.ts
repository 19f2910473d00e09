import { describeEnv } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { AcrobotEnv, makeEnv, wrapAngle } from "../src/index.js";

describeEnv("Acrobot-v1", {
  create: () => makeEnv("Acrobot-v1"),
  maxEpisodeSteps: 500,
  episodes: 2,
  invalidActions: [3, -1, 1.5],
});

/**
 * The Acrobot equations of motion (the book variant of Sutton 1996 that Gymnasium's acrobot.py
 * documents), rewritten with the constants substituted: m1 = m2 = 1, l1 = 1, lc1 = lc2 = 0.5,
 * I1 = I2 = 1, g = 9.8.
 */
function derivatives(s: readonly number[], tau: number): number[] {
  const [t1, t2, w1, w2] = s;
  const d1 = 0.25 + (1 + 0.25 + Math.cos(t2)) + 2;
  const d2 = 0.25 + 0.5 * Math.cos(t2) + 1;
  const phi2 = 0.5 * 9.8 * Math.cos(t1 + t2 - Math.PI / 2);
  const phi1 =
    -0.5 * w2 * w2 * Math.sin(t2) - w2 * w1 * Math.sin(t2) + 1.5 * 9.8 * Math.cos(t1 - Math.PI / 2) + phi2;
  const a2 = (tau + (d2 / d1) * phi1 - 0.5 * w1 * w1 * Math.sin(t2) - phi2) / (1.25 - (d2 * d2) / d1);
  const a1 = -(d2 * a2 + phi1) / d1;
  return [w1, w2, a1, a2];
}

/** Integrates 0.2 s with `substeps` classical RK4 steps: a near-exact reference for many substeps. */
function integrate(s0: readonly number[], tau: number, substeps: number): number[] {
  const h = 0.2 / substeps;
  let s = [...s0];
  for (let k = 0; k < substeps; k++) {
    const k1 = derivatives(s, tau);
    const k2 = derivatives(
      s.map((v, i) => v + (h / 2) * k1[i]),
      tau,
    );
    const k3 = derivatives(
      s.map((v, i) => v + (h / 2) * k2[i]),
      tau,
    );
    const k4 = derivatives(
      s.map((v, i) => v + h * k3[i]),
      tau,
    );
    s = s.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  return s;
}

describe("Acrobot dynamics", () => {
  const start = [0.3, -0.4, 1.0, -2.0];

  it("takes one RK4 step of 0.2 s per step: four derivative evaluations, RK4-sized error", () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = start;
    const before = env.derivativeEvaluations;
    env.step(2); // torque +1
    expect(env.derivativeEvaluations - before).toBe(4);
    const ours = Array.from(env.state);
    // One RK4 step of the same equations agrees to rounding; a 2000-substep reference agrees to RK4's
    // local error O(dt^5); a forward Euler step would be off by O(dt^2) ≈ 1e-1 in the velocities.
    const oneStep = integrate(start, 1, 1);
    const exact = integrate(start, 1, 2000);
    for (let i = 0; i < 4; i++) expect(ours[i]).toBeCloseTo(oneStep[i], 12);
    const errRk4 = Math.max(...ours.map((v, i) => Math.abs(v - exact[i])));
    const euler = derivatives(start, 1).map((d, i) => start[i] + 0.2 * d);
    const errEuler = Math.max(...euler.map((v, i) => Math.abs(v - exact[i])));
    expect(errRk4).toBeLessThan(1e-3);
    expect(errEuler).toBeGreaterThan(5e-2);
  });

  it("hanging still with no torque stays still (both accelerations vanish at rest)", () => {
    // At θ1 = θ2 = 0 and rest: φ2 = 4.9·cos(−π/2) ≈ 0 and φ1 ≈ 0, so θ̈1 = θ̈2 = 0.
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0, 0, 0];
    const r = env.step(1);
    for (const v of env.state) expect(Math.abs(v)).toBeLessThan(1e-12);
    const expected = [1, 0, 1, 0, 0, 0];
    for (let i = 0; i < 6; i++) expect(r.obs[i]).toBeCloseTo(expected[i], 12);
    expect(r).toMatchObject({ reward: -1, terminated: false });
  });

  it("terminates with reward 0 once the tip is above one link length: −cos θ1 − cos(θ1 + θ2) > 1", () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    // Upright (θ1 = π, θ2 = 0): −cos π − cos π = 2 > 1, and 0.2 s later it has barely moved.
    env.state = [Math.PI - 0.01, 0, 0, 0];
    expect(env.step(1)).toMatchObject({ reward: 0, terminated: true, truncated: false });
  });

  it("wraps angles into [−π, π] and clips velocities to ±4π, ±9π", () => {
    expect(wrapAngle(3 * Math.PI + 0.5, -Math.PI, Math.PI)).toBeCloseTo(-Math.PI + 0.5, 12);
    expect(wrapAngle(-Math.PI - 0.5, -Math.PI, Math.PI)).toBeCloseTo(Math.PI - 0.5, 12);
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0, 100, -100];
    env.step(1);
    const [t1, t2, w1, w2] = env.state;
    expect(Math.abs(t1)).toBeLessThanOrEqual(Math.PI);
    expect(Math.abs(t2)).toBeLessThanOrEqual(Math.PI);
    expect(Math.abs(w1)).toBeLessThanOrEqual(4 * Math.PI);
    expect(Math.abs(w2)).toBeLessThanOrEqual(9 * Math.PI);
  });

  it("resets each state entry uniformly in ±0.1, stored as float32 like Gymnasium", () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 3 });
    for (let i = 0; i < 200; i++) {
      for (const v of env.state) {
        expect(Math.abs(v)).toBeLessThanOrEqual(0.1);
        expect(Math.fround(v)).toBe(v);
      }
      env.reset();
    }
  });
});
