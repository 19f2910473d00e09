import { describe, expect, it } from "vitest";
import { MemoryMetricsSink, OnPolicyTrainer } from "../src/index.js";
import { randomCartPoleReturn } from "./helpers.js";

// Short versions of the learning benchmarks: each must clearly beat a uniformly random policy
// (about 22 steps on CartPole-v1) on 20 greedy evaluation episodes.
const random = randomCartPoleReturn(20, 11);

describe("short CartPole-v1 runs of the other objectives", () => {
  it("TRPO (trust-region step, value fitted separately)", async () => {
    const sink = new MemoryMetricsSink();
    const trainer = await OnPolicyTrainer.create(
      {
        numEnvs: 8,
        numSteps: 256,
        totalSteps: 12_288,
        advantage: { name: "gae", gamma: 0.99, lambda: 0.97 },
        objective: { name: "trpo", maxKl: 0.01 },
        minibatches: 8,
        lr: 1e-3,
        annealLr: false,
        seed: 2,
        engine: "wasm",
      },
      { sink },
    );
    const result = await trainer.train();
    trainer.dispose();
    expect(result.evalReturn).toBeGreaterThan(4 * random);
    // Every accepted step stayed inside the trust region.
    for (const { metrics } of sink.rows.slice(0, -1)) {
      expect(metrics.kl).toBeLessThanOrEqual(0.01);
    }
  });

  it("REINFORCE with a learned baseline", async () => {
    const trainer = await OnPolicyTrainer.create({
      numEnvs: 8,
      numSteps: 256,
      totalSteps: 40_960,
      advantage: { name: "returns", gamma: 0.99, baseline: true },
      objective: { name: "reinforce", baseline: true, normalizeAdvantages: "population-std" },
      epochs: 1,
      minibatches: 1,
      lr: 3e-3,
      annealLr: false,
      seed: 3,
      engine: "wasm",
    });
    const result = await trainer.train();
    trainer.dispose();
    expect(result.evalReturn).toBeGreaterThan(4 * random);
  });

  it("GRPO on environments: groups of episodes from one seeded start state", async () => {
    const trainer = await OnPolicyTrainer.create({
      rollout: "groups",
      numGroups: 4,
      groupSize: 8,
      totalSteps: 20_000,
      advantage: { name: "group" },
      objective: { name: "grpo" },
      epochs: 4,
      minibatches: 4,
      lr: 1e-3,
      seed: 4,
      engine: "wasm",
    });
    const result = await trainer.train();
    trainer.dispose();
    expect(result.evalReturn).toBeGreaterThan(4 * random);
  });
});
