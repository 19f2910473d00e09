import { describe, expect, it } from "vitest";
import { MemoryMetricsSink, OnPolicyTrainer } from "../src/index.js";

// 5 updates of 8 envs × 64 steps = 512 transitions, 4 minibatches.
const base = {
  env: "CartPole-v1",
  numEnvs: 8,
  numSteps: 64,
  totalSteps: 5 * 512,
  minibatches: 4,
  seed: 4,
  engine: "wasm",
} as const;

async function lrPerUpdate(options: Record<string, unknown>): Promise<number[]> {
  const sink = new MemoryMetricsSink();
  const trainer = await OnPolicyTrainer.create({ ...base, ...options }, { sink });
  try {
    await trainer.train();
  } finally {
    trainer.dispose();
  }
  return sink.rows.filter((r) => r.metrics.lr !== undefined).map((r) => r.metrics.lr);
}

describe("learning-rate schedule of the on-policy trainer", () => {
  it("TRPO fits its critic at a constant 1e-3 by default (sb3-contrib, Spinning Up vf_lr)", async () => {
    const lrs = await lrPerUpdate({ objective: { name: "trpo" }, valueEpochs: 10 });
    expect(lrs).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 1e-3]);
  });

  it("TRPO with annealLr decays over the value fits it takes: updates × valueEpochs × minibatches", async () => {
    // Horizon 5·10·4 = 200 steps; update k starts at step 40k: lr = 1e-3·(1 − 40k/200) = 1e-3·(1 − k/5).
    // (Over updates × epochs × minibatches = 80 steps, as before, the critic lr hit 0 at update 3.)
    const lrs = await lrPerUpdate({ objective: { name: "trpo" }, valueEpochs: 10, annealLr: true });
    const expected = [1, 0.8, 0.6, 0.4, 0.2].map((f) => 1e-3 * f);
    lrs.forEach((lr, k) => {
      expect(lr).toBeCloseTo(expected[k], 12);
    });
    expect(lrs.length).toBe(5);
  });

  it("PPO anneals 2.5e-4 over updates × epochs × minibatches by default (CleanRL)", async () => {
    // Horizon 5·4·4 = 80 steps; update k starts at step 16k: lr = 2.5e-4·(1 − k/5).
    const lrs = await lrPerUpdate({ objective: { name: "ppo" }, epochs: 4 });
    const expected = [1, 0.8, 0.6, 0.4, 0.2].map((f) => 2.5e-4 * f);
    expect(lrs.length).toBe(5);
    lrs.forEach((lr, k) => {
      expect(lr).toBeCloseTo(expected[k], 12);
    });
  });
});
