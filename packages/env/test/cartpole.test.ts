import { createRng, StateError } from "@rlts/core";
import { describeEnv } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { CartPoleEnv, InvalidActionError, makeEnv, TimeLimit } from "../src/index.js";

describeEnv("CartPoleEnv (no time limit)", {
  create: () => new CartPoleEnv(),
  invalidActions: [2, -1, 0.5, [1]],
});
describeEnv("CartPole-v1", {
  create: () => makeEnv("CartPole-v1"),
  maxEpisodeSteps: 500,
  invalidActions: [2, -1, 0.5],
});
describeEnv("CartPole-v1 with a 5-step limit (truncation path)", {
  create: () => makeEnv("CartPole-v1", { maxEpisodeSteps: 5 }),
  maxEpisodeSteps: 5,
});

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

/** Steps from a set state and returns the states after each action. */
function rollout(env: CartPoleEnv, state: number[], actions: number[]): number[][] {
  env.reset({ seed: 0 });
  env.state = state;
  return actions.map((a) => {
    env.step(a);
    return Array.from(env.state);
  });
}

describe("CartPole dynamics (Gymnasium cartpole.py equations, worked by hand)", () => {
  it("two pushes right from rest match the exact rational values", () => {
    // From rest θ = 0, so sin θ = 0, cos θ = 1 and with F = +10:
    //   temp = F / (m_c + m_p) = 10 / 1.1 = 100/11
    //   θ̈ = (g·0 − 1·temp) / (l·(4/3 − m_p·1/1.1)) = −(100/11) / (0.5·41/33) = −600/41
    //   ẍ = temp − m_p·l·θ̈·1/1.1 = 100/11 + 0.05·(600/41)/1.1 = 400/41
    // Euler, τ = 0.02 (positions move with the old velocities):
    //   step 1: x = 0, ẋ = 0.02·400/41 = 8/41, θ = 0, θ̇ = −12/41
    //   step 2: θ is still 0, so the same accelerations: x = 0.02·8/41 = 4/1025, ẋ = 16/41,
    //           θ = 0.02·(−12/41) = −6/1025, θ̇ = −24/41
    const env = new CartPoleEnv();
    const [s1, s2] = rollout(env, [0, 0, 0, 0], [1, 1]);
    expectClose(s1, [0, 8 / 41, 0, -12 / 41], 14);
    expectClose(s2, [4 / 1025, 16 / 41, -6 / 1025, -24 / 41], 14);
  });

  it("a third step pushing left from a tilted pole matches values computed from the equations", () => {
    // From s2 = [4/1025, 16/41, −6/1025, −24/41] with F = −10 (the equations above evaluated in float64
    // with a calculator): temp = (−10 + 0.05·(24/41)²·sin(−6/1025)) / 1.1, θ̈ ≈ 14.6693, ẍ ≈ −9.7542,
    // giving x = 4/1025 + 0.02·16/41 = 0.0117073170731707,  ẋ = 16/41 + 0.02·ẍ = 0.1952044314903026,
    //        θ = −6/1025 + 0.02·(−24/41) = −0.0175609756097561, θ̇ = −24/41 + 0.02·θ̈ = −0.2945326253197778.
    const [, , s3] = rollout(new CartPoleEnv(), [0, 0, 0, 0], [1, 1, 0]);
    const expected = [0.011707317073170733, 0.19520443149030264, -0.0175609756097561, -0.2945326253197778];
    expectClose(s3, expected, 13);
  });

  it("a general state under actions [0, 1, 1] matches values computed from the equations", () => {
    // Start [0.01, −0.02, 0.03, 0.04]; the equations evaluated step by step in float64.
    const states = rollout(new CartPoleEnv(), [0.01, -0.02, 0.03, 0.04], [0, 1, 1]);
    const expected = [
      [0.0096, -0.21553901710278936, 0.0308, 0.34199522377603914],
      [0.005289219657944213, -0.020868498014729647, 0.03763990447552078, 0.059181706756417596],
      [0.0048718496976496205, 0.1736941202746195, 0.038823538610649126, -0.22139198924408143],
    ];
    for (let t = 0; t < 3; t++) expectClose(states[t], expected[t], 13);
  });

  it("semi-implicit Euler moves positions with the new velocities", () => {
    // Same accelerations as the first step above; velocities first: ẋ = 8/41, x = 0.02·8/41 = 4/1025,
    // θ̇ = −12/41, θ = 0.02·(−12/41) = −6/1025.
    const [s1] = rollout(new CartPoleEnv({ kinematicsIntegrator: "semi-implicit-euler" }), [0, 0, 0, 0], [1]);
    expectClose(s1, [4 / 1025, 8 / 41, -6 / 1025, -12 / 41], 14);
  });

  it("observations are the float32 state", () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    env.state = [0.1, 0.2, 0.01, -0.3];
    const { obs } = env.step(0);
    expect(obs).toBeInstanceOf(Float32Array);
    expect(Array.from(obs)).toEqual(Array.from(env.state).map(Math.fround));
  });

  it("terminates past ±12° or ±2.4 m, still paying +1 on that step", () => {
    const env = new CartPoleEnv();
    const threshold = (12 * 2 * Math.PI) / 360; // 0.20943951...
    env.reset({ seed: 0 });
    // θ = 0.2 + 0.02·1 = 0.22 > 0.2094 after one Euler step.
    env.state = [0, 0, 0.2, 1];
    const r = env.step(1);
    expect(env.state[2]).toBeGreaterThan(threshold);
    expect(r).toMatchObject({ reward: 1, terminated: true, truncated: false });
    expect(() => env.step(1)).toThrow(StateError);
    env.reset();
    // x = 2.39 + 0.02·1 = 2.41 > 2.4.
    env.state = [2.39, 1, 0, 0];
    expect(env.step(0).terminated).toBe(true);
    env.reset();
    env.state = [2.3, 1, 0, 0];
    expect(env.step(0).terminated).toBe(false);
  });

  it("resets uniformly in ±0.05 per coordinate", () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 5 });
    const n = 4000;
    let sum = 0;
    let min = 1;
    let max = -1;
    for (let i = 0; i < n; i++) {
      for (const v of env.state) {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      env.reset();
    }
    expect(min).toBeGreaterThanOrEqual(-0.05);
    expect(max).toBeLessThan(0.05);
    // 16000 uniform draws: the extremes come within 0.001 of the ends, the mean within 3 sd (0.00069) of 0.
    expect(min).toBeLessThan(-0.049);
    expect(max).toBeGreaterThan(0.049);
    expect(Math.abs(sum / (4 * n))).toBeLessThan(0.0007);
  });

  it("accepts Gymnasium's reset bounds option and rejects low > high", () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 1, options: { low: 0.2, high: 0.3 } });
    for (const v of env.state) expect(v >= 0.2 && v < 0.3).toBe(true);
    expect(() => env.reset({ options: { low: 1, high: 0 } })).toThrow(/options\.high/);
  });

  it("a random policy lasts about 22 steps per episode over 1,000 episodes (Gymnasium: ≈22)", () => {
    const env = makeEnv("CartPole-v1");
    const rng = createRng(2024);
    let steps = 0;
    env.reset({ seed: 2024 });
    for (let episode = 0; episode < 1000; episode++) {
      if (episode > 0) env.reset();
      for (;;) {
        steps++;
        const r = env.step(rng.int(2));
        if (r.terminated || r.truncated) break;
      }
    }
    // Episode lengths of the random policy have sd ≈ 12, so the mean of 1000 has sd ≈ 0.4.
    expect(steps / 1000).toBeGreaterThan(20);
    expect(steps / 1000).toBeLessThan(24.5);
  });

  it("a balancing controller reaches the 500-step truncation of CartPole-v1", () => {
    const env = makeEnv("CartPole-v1");
    let { obs } = env.reset({ seed: 0 }) as { obs: Float32Array };
    let length = 0;
    for (;;) {
      // Push towards the side the pole falls to, damped by the cart's drift.
      const r = env.step(obs[2] + 0.5 * obs[3] + 0.01 * obs[0] + 0.05 * obs[1] > 0 ? 1 : 0);
      obs = r.obs as Float32Array;
      length++;
      if (r.terminated || r.truncated) {
        expect(r).toMatchObject({ terminated: false, truncated: true });
        break;
      }
    }
    expect(length).toBe(500);
    expect(env.spec?.maxEpisodeSteps).toBe(500);
  });

  it("names the env and the space when the action is outside it", () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    expect(() => env.step(2)).toThrow(InvalidActionError);
    expect(() => env.step(2)).toThrow(/CartPoleEnv.*Discrete\(2\)/);
  });

  it("TimeLimit sets truncated at the limit, and both flags when termination coincides", () => {
    const env = new TimeLimit(new CartPoleEnv(), 1);
    env.reset({ seed: 0 });
    (env.unwrapped as CartPoleEnv).state = [0, 0, 0.2, 1];
    expect(env.step(1)).toMatchObject({ terminated: true, truncated: true });
    env.reset();
    expect(env.step(1)).toMatchObject({ terminated: false, truncated: true });
    expect(() => env.step(1)).toThrow(StateError);
  });
});
