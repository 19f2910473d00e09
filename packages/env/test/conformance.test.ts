import { type ConformanceEnv, type EnvConformanceOptions, envConformanceChecks } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { Box, CartPoleEnv, Discrete, makeEnv } from "../src/index.js";

/** Runs the named check of the describeEnv suite directly. */
function check(name: RegExp, options: EnvConformanceOptions): () => void {
  const found = envConformanceChecks.find((c) => name.test(c.name));
  if (!found) throw new Error(`no check matches ${name}`);
  return () => found.run(options);
}

/** A counter env that breaks the contract in configurable ways. */
function broken(
  flaw: "no-reset-check" | "ignores-seed" | "accepts-anything" | "late-truncation",
): ConformanceEnv {
  let t = 0;
  let start = 0;
  let calls = 0;
  const env: ConformanceEnv = {
    observationSpace: new Box(-1e9, 1e9, [1]),
    actionSpace: new Discrete(2),
    reset(options) {
      t = 0;
      calls++;
      start = flaw === "ignores-seed" ? calls * 0.37 : (options?.seed ?? calls) * 0.1;
      return { obs: Float32Array.of(start), info: {} };
    },
    step(action) {
      if (flaw !== "accepts-anything" && action !== 0 && action !== 1) throw new Error("bad action");
      if (flaw !== "no-reset-check" && t >= 3) throw new Error("call reset first");
      t++;
      const limit = flaw === "late-truncation" ? 4 : 3;
      return {
        obs: Float32Array.of(start + t),
        reward: 1,
        terminated: false,
        truncated: t >= limit,
        info: {},
      };
    },
  };
  return env;
}

describe("the describeEnv checks fail on envs that break the contract", () => {
  it("catches stepping after the end without a reset", () => {
    expect(check(/after the episode ended/, { create: () => broken("no-reset-check") })).toThrow();
    expect(check(/after the episode ended/, { create: () => broken("ignores-seed") })).not.toThrow();
  });

  it("catches an env that ignores its seed", () => {
    expect(check(/same seed/, { create: () => broken("ignores-seed") })).toThrow();
  });

  it("catches an env that accepts actions outside its space", () => {
    expect(check(/outside the action space/, { create: () => broken("accepts-anything") })).toThrow();
  });

  it("catches truncation at the wrong step", () => {
    expect(check(/time limit/, { create: () => broken("late-truncation"), maxEpisodeSteps: 3 })).toThrow();
    expect(check(/time limit/, { create: () => broken("no-reset-check"), maxEpisodeSteps: 3 })).not.toThrow();
  });

  it("passes the real envs (sanity of the harness)", () => {
    expect(check(/same seed/, { create: () => new CartPoleEnv() })).not.toThrow();
    expect(
      check(/time limit/, {
        create: () => makeEnv("CartPole-v1", { maxEpisodeSteps: 4 }),
        maxEpisodeSteps: 4,
      }),
    ).not.toThrow();
  });
});
