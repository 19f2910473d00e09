import {
  type Batch,
  ConfigError,
  createContainer,
  createPlugin,
  DuplicatePluginError,
  getRegistry,
  PluginNotFoundError,
  type PluginSpec,
} from "@rlts/core";
import { describe, expect, it } from "vitest";
import { register } from "../src/index.js";
import { expectAllClose } from "./helpers.js";

// One batch that carries every field any estimator reads: 1 step × 4 completions of 2 prompts, each
// completion terminated (the LLM layout), with values, bootstrap values, process and sampled-action rewards.
function fullBatch(): Batch {
  return {
    numSteps: 1,
    numEnvs: 4,
    rewards: Float64Array.of(1, 0, 2, 2),
    terminated: Uint8Array.of(1, 1, 1, 1),
    truncated: new Uint8Array(4),
    values: Float64Array.of(0.5, 0.5, 1, 1),
    truncationValues: new Float64Array(4),
    lastValues: new Float64Array(4),
    groupIds: Int32Array.of(10, 10, 20, 20),
    processRewards: {
      sample: Int32Array.of(0, 1, 2, 3),
      endToken: Int32Array.of(0, 0, 1, 1),
      rewards: Float64Array.of(1, 0, 2, 2),
      lengths: Int32Array.of(1, 1, 2, 2),
    },
    actionSamples: { samplesPerState: 2, rewards: Float64Array.of(1, 1, 0, 0, 2, 2, 2, 2) },
  };
}

// Expected advantages on fullBatch, worked by hand (every step is terminal, so nothing bootstraps):
//   returns (γ any):           G = r                          → [1, 0, 2, 2]
//   gae:                       δ = r − V                      → [0.5, −0.5, 1, 1]
//   group (TRL):               prompt 10: [1, 0] mean 0.5, sample std √0.5 → ±0.5/(√0.5 + 1e-4); prompt 20 equal → 0
//   group-process:             the same numbers: one step per completion at its last token
//   rloo:                      prompt 10: 1 − 0 = 1, 0 − 1 = −1; prompt 20: 0
//   hybrid:                    one z-score over all 8 sampled rewards [1, 1, 0, 0, 2, 2, 2, 2]: mean 1.25,
//                              Σd² = 2·0.0625 + 2·1.5625 + 4·0.5625 = 5.5, population std √(5.5/8);
//                              each state's samples are equal, so mean f = tanh((r − 1.25)/(std + 1e-8));
//                              A = mean f − V (terminal) → [f(1) − 0.5, f(0) − 0.5, f(2) − 1, f(2) − 1]
const z = 0.5 / (Math.sqrt(0.5) + 1e-4);
const hybridF = (r: number) => Math.tanh((r - 1.25) / (Math.sqrt(5.5 / 8) + 1e-8));
const expected: Record<string, number[]> = {
  returns: [1, 0, 2, 2],
  gae: [0.5, -0.5, 1, 1],
  group: [z, -z, 0, 0],
  "group-process": [z, -z, 0, 0],
  rloo: [1, -1, 0, 0],
  hybrid: [hybridF(1) - 0.5, hybridF(0) - 0.5, hybridF(2) - 1, hybridF(2) - 1],
};

describe("register(container)", () => {
  it("adds every estimator by name", () => {
    const container = createContainer();
    register(container);
    expect(getRegistry(container).list("advantage")).toEqual([
      "gae",
      "group",
      "group-process",
      "hybrid",
      "returns",
      "rloo",
    ]);
    expect(getRegistry(container).describe("advantage", "gae").description).toMatch(/GAE/);
  });

  it("selects each estimator by name from a config and runs it on the same batch", () => {
    const container = createContainer();
    register(container);
    for (const [name, advantages] of Object.entries(expected)) {
      const spec: PluginSpec = { name };
      const estimator = createPlugin(container, "advantage", spec);
      expect(estimator.name).toBe(name);
      expectAllClose(estimator.estimate(fullBatch()).advantages, advantages, 14);
    }
    // A bare name works too, and options reach the factory.
    expect(createPlugin(container, "advantage", "rloo").name).toBe("rloo");
    const drGrpo = createPlugin(container, "advantage", { name: "group", scale: "none" });
    expect([...drGrpo.estimate(fullBatch()).advantages]).toEqual([0.5, -0.5, 0, 0]);
  });

  it("validates options in the factory, naming the field", () => {
    const container = createContainer();
    register(container);
    expect(() => createPlugin(container, "advantage", { name: "gae", gamma: "0.99" })).toThrow(ConfigError);
    expect(() => createPlugin(container, "advantage", { name: "gae", gamma: "0.99" })).toThrow(
      /advantage\.gamma/,
    );
    expect(() => createPlugin(container, "advantage", { name: "group", std: "biased" })).toThrow(
      /advantage\.std/,
    );
    expect(() => createPlugin(container, "advantage", { name: "hybrid", variant: "alpha" })).toThrow(
      /advantage\.variant/,
    );
  });

  it("lists the known names for an unknown one, and refuses to register twice", () => {
    const container = createContainer();
    register(container);
    expect(() => createPlugin(container, "advantage", "grpo")).toThrow(PluginNotFoundError);
    expect(() => createPlugin(container, "advantage", "grpo")).toThrow(/"group"/);
    expect(() => register(container)).toThrow(DuplicatePluginError);
  });

  it("registers nothing on import", async () => {
    await import("../src/index.js");
    expect(getRegistry(createContainer()).list("advantage")).toEqual([]);
  });
});
