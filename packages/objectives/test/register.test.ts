import { ConfigError, createContainer, createPlugin, getRegistry } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { GrpoOffPolicyObjective, PpoObjective, register } from "../src/index.js";

describe("register", () => {
  it("adds the five objectives by name, built from a config", () => {
    const container = createContainer();
    register(container);
    expect(getRegistry(container).list("objective")).toEqual([
      "grpo",
      "grpo-offpolicy",
      "ppo",
      "reinforce",
      "trpo",
    ]);
    const ppo = createPlugin(container, "objective", { name: "ppo", clipRange: 0.1, targetKl: 0.02 });
    expect(ppo).toBeInstanceOf(PpoObjective);
    expect((ppo as PpoObjective).options.clipRange).toBe(0.1);
    const off = createPlugin(container, "objective", { name: "grpo-offpolicy", samplerRefreshPeriod: 10 });
    expect(off).toBeInstanceOf(GrpoOffPolicyObjective);
    expect(off.samplerRefreshPeriod).toBe(10);
    expect(createPlugin(container, "objective", "trpo").trustRegionStep).toBeTypeOf("function");
  });

  it("names the bad option of a config", () => {
    const container = createContainer();
    register(container);
    expect(() => createPlugin(container, "objective", { name: "grpo", lossType: "dr_grpo" })).toThrow(
      ConfigError,
    );
    expect(() => createPlugin(container, "objective", { name: "reinforce", baseline: "yes" })).toThrow(
      /objective\.baseline/,
    );
  });

  it("registers nothing on import", async () => {
    await import("../src/index.js");
    expect(getRegistry(createContainer()).list("objective")).toEqual([]);
  });
});
