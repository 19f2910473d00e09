import { describe, expect, it } from "vitest";
import { OnPolicyTrainer } from "../src/index.js";
import { randomCartPoleReturn } from "./helpers.js";

describe("off-policy GRPO on environments", () => {
  it("samples with a copy of the policy refreshed every v updates, and still learns", async () => {
    const trainer = await OnPolicyTrainer.create({
      rollout: "groups",
      numGroups: 4,
      groupSize: 8,
      totalSteps: 20_000,
      // Off-policy advantages: (r − mean)/sqrt(σ² + ε) with the population std (arXiv 2505.22257 eq. 2).
      advantage: { name: "group", std: "population", epsilonPlacement: "variance" },
      objective: { name: "grpo-offpolicy", samplerRefreshPeriod: 2 },
      epochs: 1,
      minibatches: 4,
      lr: 1e-3,
      seed: 5,
      engine: "wasm",
    });
    expect(trainer.sampler).toBeDefined();
    const result = await trainer.train();
    const policy = Array.from(trainer.policy.getFlatParams());
    const sampler = Array.from(trainer.sampler?.getFlatParams() ?? []);
    // The sampler holds π_θ as of the last update k with k mod 2 = 0.
    if (result.updates % 2 === 0) expect(sampler).toEqual(policy);
    else expect(sampler).not.toEqual(policy);
    trainer.dispose();
    expect(result.evalReturn).toBeGreaterThan(4 * randomCartPoleReturn(20, 13));
  });

  it("on-policy objectives sample with the policy itself", async () => {
    const trainer = await OnPolicyTrainer.create({ engine: "cpu", totalSteps: 512 });
    expect(trainer.sampler).toBeUndefined();
    trainer.dispose();
  });
});
