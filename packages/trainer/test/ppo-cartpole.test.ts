import { describe, expect, it } from "vitest";
import { MemoryMetricsSink, OnPolicyTrainer } from "../src/index.js";
import { randomCartPoleReturn } from "./helpers.js";

describe("PPO on CartPole-v1 (short run)", () => {
  it("clearly beats a random policy after 16k env steps, and logs metrics per update", async () => {
    const random = randomCartPoleReturn(20, 7);
    // A uniformly random policy balances the pole for about 22 steps.
    expect(random).toBeLessThan(40);
    const sink = new MemoryMetricsSink();
    const trainer = await OnPolicyTrainer.create(
      {
        env: "CartPole-v1",
        numEnvs: 8,
        numSteps: 32,
        totalSteps: 16_384,
        advantage: { name: "gae", gamma: 0.98, lambda: 0.8 },
        objective: { name: "ppo", entropyCoef: 0 },
        epochs: 10,
        minibatches: 1,
        lr: 1e-3,
        seed: 1,
        engine: "wasm",
      },
      { sink },
    );
    const result = await trainer.train();
    trainer.dispose();
    expect(result.envSteps).toBe(16_384);
    expect(result.evalReturn).toBeGreaterThan(4 * random);
    expect(sink.rows.length).toBe(result.updates + 1);
    const first = sink.rows[0].metrics;
    for (const key of ["policy_loss", "value_loss", "approx_kl", "clipfrac", "env_steps"]) {
      expect(Number.isFinite(first[key]), key).toBe(true);
    }
  });
});
