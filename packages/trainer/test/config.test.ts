import { ConfigError, createContainer, getRegistry } from "@rlts/core";
import { register as registerObjectives } from "@rlts/objectives";
import { describe, expect, it } from "vitest";
import { OnPolicyTrainer, resolveOnPolicyOptions } from "../src/index.js";

describe("trainer configuration", () => {
  it("names bad and unknown options", () => {
    expect(() => resolveOnPolicyOptions({ numEnvs: 0 })).toThrow(/trainer\.numEnvs/);
    expect(() => resolveOnPolicyOptions({ rollout: "episodes" as never })).toThrow(/trainer\.rollout/);
    expect(() => resolveOnPolicyOptions({ learningRate: 1 } as never)).toThrow(ConfigError);
  });

  it("rejects an objective or estimator whose inputs the rollouts cannot provide", async () => {
    await expect(
      OnPolicyTrainer.create({ objective: { name: "grpo", beta: 0.04 }, rollout: "groups", engine: "cpu" }),
    ).rejects.toThrow(/refLogprobs/);
    await expect(OnPolicyTrainer.create({ advantage: "group", engine: "cpu" })).rejects.toThrow(/groupIds/);
    await expect(OnPolicyTrainer.create({ objective: "no-such-objective", engine: "cpu" })).rejects.toThrow(
      /known objective plugins/,
    );
  });

  it("uses the run's container and adds only the missing built-ins", async () => {
    const container = createContainer();
    const trainer = await OnPolicyTrainer.create({ engine: "cpu", totalSteps: 512 }, { container });
    expect(getRegistry(container).list("objective")).toContain("ppo");
    expect(getRegistry(container).list("advantage")).toContain("gae");
    trainer.dispose();
  });

  it("keeps a plugin the caller registered under a built-in's name and still adds every other built-in", async () => {
    const container = createContainer();
    const calls: string[] = [];
    // The caller's own "ppo" (here the built-in PPO from a registry of its own, counting its builds).
    const own = createContainer();
    registerObjectives(own);
    getRegistry(container).register("objective", "ppo", (options, context) => {
      calls.push("own ppo");
      return getRegistry(own).create("objective", "ppo", options, context.container);
    });
    const ppo = await OnPolicyTrainer.create({ engine: "cpu", totalSteps: 512 }, { container });
    expect(calls).toEqual(["own ppo"]);
    ppo.dispose();
    // Registering "ppo" first used to skip every other objective: TRPO must still be there.
    const trpo = await OnPolicyTrainer.create(
      { engine: "cpu", totalSteps: 512, objective: "trpo" },
      { container },
    );
    expect(trpo.objective.name).toBe("trpo");
    trpo.dispose();
  });

  it("evaluates on evalEnv when given, and starts a Gaussian head at initLogStd", async () => {
    const trainer = await OnPolicyTrainer.create({
      evalEnv: { name: "CartPole-v1", maxEpisodeSteps: 5 },
      evalEpisodes: 4,
      engine: "cpu",
    });
    // CartPole pays 1 per step, so a 5-step time limit caps every evaluation episode at 5.
    expect(await trainer.evaluate()).toBeLessThanOrEqual(5);
    trainer.dispose();
    const pendulum = await OnPolicyTrainer.create({ env: "Pendulum-v1", initLogStd: -1, engine: "cpu" });
    expect(Array.from(pendulum.policy.variable("pi.logStd").dataSync())).toEqual([-1]);
    pendulum.dispose();
    expect(() => resolveOnPolicyOptions({ initLogStd: Number.NaN })).toThrow(/trainer\.initLogStd/);
  });

  it("the same seed gives the same run", async () => {
    const run = async () => {
      const trainer = await OnPolicyTrainer.create({
        numEnvs: 2,
        numSteps: 64,
        totalSteps: 256,
        evalEpisodes: 3,
        seed: 9,
        engine: "cpu",
      });
      const result = await trainer.train();
      const params = Array.from(trainer.policy.getFlatParams());
      trainer.dispose();
      return { evalReturn: result.evalReturn, params };
    };
    const a = await run();
    const b = await run();
    expect(b.evalReturn).toBe(a.evalReturn);
    expect(b.params).toEqual(a.params);
  });
});
