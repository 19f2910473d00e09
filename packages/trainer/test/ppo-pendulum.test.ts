import { describe, expect, it } from "vitest";
import { OnPolicyTrainer } from "../src/index.js";
import { randomPendulumReturn } from "./helpers.js";

// Short version of the Pendulum-v1 learning benchmark (bench/learning `ppo-pendulum`, same settings,
// 64 × 1024 steps instead of 300k): PPO must clearly beat uniformly random torques on 20 greedy
// evaluation episodes. Random torques score about −1200 (Gymnasium's Pendulum returns lie in
// [−16.3·200, 0]); the full benchmark reaches ≥ −250 within 66k steps on three seeds.
const random = randomPendulumReturn(20, 11);

describe("short Pendulum-v1 run", () => {
  it("PPO with a Gaussian head beats random torques by a wide margin", async () => {
    expect(random).toBeLessThan(-900);
    const trainer = await OnPolicyTrainer.create({
      env: { name: "Pendulum-v1", clipAction: true, normalizeReward: true },
      evalEnv: { name: "Pendulum-v1", clipAction: true },
      numEnvs: 4,
      numSteps: 1024,
      totalSteps: 65_536,
      advantage: { name: "gae", gamma: 0.9, lambda: 0.95 },
      objective: { name: "ppo", entropyCoef: 0, clipRange: 0.2 },
      epochs: 10,
      minibatches: 16,
      lr: 1e-3,
      annealLr: true,
      seed: 1,
      engine: "wasm",
    });
    const result = await trainer.train();
    trainer.dispose();
    expect(result.evalReturn).toBeGreaterThan(random + 500);
  }, 180_000);
});
