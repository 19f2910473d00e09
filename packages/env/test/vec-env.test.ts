import { createRng, ShapeError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import {
  CartPoleEnv,
  CartPoleVecEnv,
  InvalidActionError,
  makeEnv,
  makeVecEnv,
  SyncVecEnv,
  TimeLimit,
} from "../src/index.js";

describe("SyncVecEnv (same-step autoreset)", () => {
  it("matches independent envs step for step, with reset obs in obs and the ending obs kept aside", () => {
    const n = 3;
    const vec = new SyncVecEnv(() => new TimeLimit(new CartPoleEnv(), 15), n);
    const refs = Array.from({ length: n }, () => new TimeLimit(new CartPoleEnv(), 15));
    const first = vec.reset({ seed: 10 });
    for (let e = 0; e < n; e++) {
      expect(Array.from(first.obs.subarray(e * 4, e * 4 + 4))).toEqual(
        Array.from(refs[e].reset({ seed: 10 + e }).obs),
      );
    }
    let ends = 0;
    let truncations = 0;
    const actions = new Int32Array(n);
    for (let t = 0; t < 200; t++) {
      for (let e = 0; e < n; e++) actions[e] = (t * 7 + e * 3) % 5 < 2 ? 1 : 0;
      const r = vec.step(actions);
      for (let e = 0; e < n; e++) {
        const ref = refs[e].step(actions[e]);
        expect(r.rewards[e]).toBe(ref.reward);
        expect(r.terminated[e]).toBe(ref.terminated ? 1 : 0);
        expect(r.truncated[e]).toBe(ref.truncated ? 1 : 0);
        const row = Array.from(r.obs.subarray(e * 4, e * 4 + 4));
        if (ref.terminated || ref.truncated) {
          ends++;
          if (ref.truncated) truncations++;
          expect(Array.from(r.info.finalObservation.subarray(e * 4, e * 4 + 4))).toEqual(Array.from(ref.obs));
          expect(r.info.finalInfo[e]).toBe(ref.info);
          // The unseeded reset continues env e's stream, exactly as the reference env's does.
          expect(row).toEqual(Array.from(refs[e].reset().obs));
        } else {
          expect(row).toEqual(Array.from(ref.obs));
          expect(r.info.finalInfo[e]).toBeUndefined();
        }
      }
    }
    expect(ends).toBeGreaterThan(10);
    expect(truncations).toBeGreaterThan(0);
  });

  it("seeds env e with seed + e, so a seed gives the same rollout twice and envs differ", () => {
    const run = () => {
      const vec = makeVecEnv("CartPole-v1", 4);
      const out: number[] = Array.from(vec.reset({ seed: 3 }).obs);
      for (let t = 0; t < 50; t++) out.push(...vec.step([1, 0, 1, 0]).obs);
      return out;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.slice(0, 4)).not.toEqual(a.slice(4, 8));
  });

  it("spreads the starts of envs seeded seed + e over the whole ±0.05 box", () => {
    // Uniform on [−0.05, 0.05] has sd 0.1/√12 ≈ 0.0289; 16 starts per coordinate land well above 0.015.
    // (Seeds put straight into xoroshiro's state would start every env near (0.05, 0.05, 0.05, 0.05).)
    const { obs } = makeVecEnv("CartPole-v1", 16).reset({ seed: 0 });
    for (let i = 0; i < 4; i++) {
      const column = Array.from({ length: 16 }, (_, e) => obs[e * 4 + i]);
      const mean = column.reduce((a, b) => a + b, 0) / 16;
      const sd = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / 16);
      expect(sd).toBeGreaterThan(0.015);
    }
  });

  it("reuses its buffers: no new arrays per step", () => {
    const vec = makeVecEnv("CartPole-v1", 2);
    vec.reset({ seed: 0 });
    const r1 = vec.step([0, 1]);
    const obs1 = r1.obs;
    const r2 = vec.step([0, 1]);
    expect(r2.obs).toBe(obs1);
    expect(r2.rewards).toBe(r1.rewards);
    expect(r2.info.finalObservation).toBe(r1.info.finalObservation);
  });

  it("steps continuous actions from a flat array (Pendulum-v1, 2 envs × 1 torque)", () => {
    const vec = makeVecEnv("Pendulum-v1", 2);
    const single = [makeEnv("Pendulum-v1"), makeEnv("Pendulum-v1")];
    vec.reset({ seed: 5 });
    single[0].reset({ seed: 5 });
    single[1].reset({ seed: 6 });
    const r = vec.step(Float32Array.of(0.5, -1.5));
    expect(r.rewards[0]).toBe(single[0].step([0.5]).reward);
    expect(r.rewards[1]).toBe(single[1].step([-1.5]).reward);
    expect(vec.obsSize).toBe(3);
    expect(vec.actionSize).toBe(1);
  });

  it("rejects an action array of the wrong length, and invalid actions via the env", () => {
    const vec = makeVecEnv("CartPole-v1", 2);
    vec.reset({ seed: 0 });
    expect(() => vec.step([0])).toThrow(ShapeError);
    expect(() => vec.step([0, 2])).toThrow(/Discrete\(2\)/);
  });

  it("requires a reset before the first step", () => {
    const vec = makeVecEnv("CartPole-v1", 2);
    expect(() => vec.step([0, 1])).toThrow(/reset/);
  });
});

describe("CartPoleVecEnv", () => {
  it("follows SyncVecEnv of CartPole-v1 exactly: obs, rewards, flags, final observations, episode stats", () => {
    const n = 5;
    const native = new CartPoleVecEnv(n, { maxEpisodeSteps: 30 });
    const generic = makeVecEnv("CartPole-v1", n, { maxEpisodeSteps: 30 });
    expect(Array.from(native.reset({ seed: 21 }).obs)).toEqual(Array.from(generic.reset({ seed: 21 }).obs));
    const rng = createRng(5);
    const actions = new Int32Array(n);
    let truncations = 0;
    let terminations = 0;
    for (let t = 0; t < 400; t++) {
      for (let e = 0; e < n; e++) actions[e] = rng.int(2);
      const a = native.step(actions);
      const b = generic.step(actions);
      expect(Array.from(a.obs)).toEqual(Array.from(b.obs));
      expect(Array.from(a.rewards)).toEqual(Array.from(b.rewards));
      expect(Array.from(a.terminated)).toEqual(Array.from(b.terminated));
      expect(Array.from(a.truncated)).toEqual(Array.from(b.truncated));
      for (let e = 0; e < n; e++) {
        if (!a.terminated[e] && !a.truncated[e]) continue;
        terminations += a.terminated[e];
        truncations += a.truncated[e];
        const rows = (x: Float32Array | Float64Array) => Array.from(x.subarray(e * 4, e * 4 + 4));
        expect(rows(a.info.finalObservation)).toEqual(rows(b.info.finalObservation));
        const ea = a.info.finalInfo[e]?.episode as { r: number; l: number };
        const eb = b.info.finalInfo[e]?.episode as { r: number; l: number };
        expect([ea.r, ea.l]).toEqual([eb.r, eb.l]);
      }
    }
    expect(terminations).toBeGreaterThan(20);
    expect(truncations).toBeGreaterThan(0);
  });

  it("validates actions before stepping any env and requires a reset", () => {
    const vec = new CartPoleVecEnv(2);
    expect(() => vec.step([0, 1])).toThrow(/reset/);
    vec.reset({ seed: 0 });
    const before = Array.from(vec.step([0, 1]).obs);
    expect(() => vec.step([1, 2])).toThrow(InvalidActionError);
    expect(() => vec.step([1, 2])).toThrow(/env 1/);
    expect(() => vec.step([1])).toThrow(ShapeError);
    expect(before).toHaveLength(8);
  });
});
