import { ConfigError, createContainer, createPlugin, getRegistry, PluginNotFoundError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import {
  ClipAction,
  classicControlIds,
  isEnv,
  isPromptTask,
  makeEnv,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  register,
  TimeLimit,
} from "../src/index.js";

describe("register and makeEnv", () => {
  it("registers the four classic-control ids and two prompt tasks as env plugins, on request only", () => {
    const container = createContainer();
    expect(getRegistry(container).list("env")).toEqual([]);
    register(container);
    expect(getRegistry(container).list("env")).toEqual(
      [
        "Acrobot-v1",
        "CartPole-v1",
        "MountainCar-v0",
        "Pendulum-v1",
        "jsonl-prompts",
        "synthetic-arithmetic",
      ].sort(),
    );
    expect(classicControlIds).toEqual(["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"]);
  });

  it("builds envs by id from a config entry, with Gymnasium's time limits", () => {
    const container = createContainer();
    register(container);
    const limits: Record<string, number> = {
      "CartPole-v1": 500,
      "Acrobot-v1": 500,
      "MountainCar-v0": 200,
      "Pendulum-v1": 200,
    };
    for (const [id, limit] of Object.entries(limits)) {
      const env = createPlugin(container, "env", { name: id });
      expect(isEnv(env)).toBe(true);
      if (!isEnv(env)) continue;
      expect(env.spec?.id).toBe(id);
      expect(env.spec?.maxEpisodeSteps).toBe(limit);
      expect(makeEnv(id, {}, container).spec?.maxEpisodeSteps).toBe(limit);
    }
    const task = createPlugin(container, "env", { name: "synthetic-arithmetic", trainSize: 5, testSize: 2 });
    expect(isPromptTask(task)).toBe(true);
    expect(isEnv(task)).toBe(false);
    expect(() => makeEnv("synthetic-arithmetic", {}, container)).toThrow(/not a step\/reset environment/);
  });

  it("applies the standard wrappers in CleanRL's order", () => {
    const env = makeEnv("Pendulum-v1", {
      clipAction: true,
      normalizeObservation: true,
      normalizeReward: { gamma: 0.9 },
    });
    const chain: string[] = [];
    let layer: unknown = env;
    while (layer && typeof layer === "object" && "env" in layer) {
      chain.push((layer as object).constructor.name);
      layer = (layer as { env: unknown }).env;
    }
    chain.push((layer as object).constructor.name);
    expect(chain).toEqual([
      NormalizeReward.name,
      NormalizeObservation.name,
      ClipAction.name,
      RecordEpisodeStatistics.name,
      TimeLimit.name,
      "PendulumEnv",
    ]);
    expect(makeEnv("CartPole-v1", { recordEpisodeStatistics: false })).toBeInstanceOf(TimeLimit);
  });

  it("passes env options to the constructor and rejects unknown ones by name", () => {
    const env = makeEnv("Pendulum-v1", { g: 9.81 });
    expect(env.unwrapped.constructor.name).toBe("PendulumEnv");
    expect(() => makeEnv("Pendulum-v1", { gravity: 9.81 })).toThrow(ConfigError);
    expect(() => makeEnv("Pendulum-v1", { gravity: 9.81 })).toThrow(/env\.gravity/);
    expect(() => makeEnv("CartPole-v1", { kinematicsIntegrator: "rk4" })).toThrow(
      /env\.kinematicsIntegrator/,
    );
    expect(() => makeEnv("CartPole-v1", { maxEpisodeSteps: 0 })).toThrow(/maxEpisodeSteps/);
    expect(() => makeEnv("CartPole-v1", { clipAction: true })).toThrow(/env\.clipAction/);
    expect(() => makeEnv("CartPole-v1", { normalizeReward: "yes" as unknown as boolean })).toThrow(
      /env\.normalizeReward/,
    );
  });

  it("lists the known ids for an unknown one", () => {
    expect(() => makeEnv("CartPole-v0")).toThrow(PluginNotFoundError);
    expect(() => makeEnv("CartPole-v0")).toThrow(/"CartPole-v1"/);
  });
});
