import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createContainer, createPlugin, getRegistry, loadPlugins, type PluginSpec } from "@rlts/core";
import { describeEstimator } from "@rlts/testing";
import { describe, expect, it } from "vitest";
import { MeanBaselineEstimator } from "../src/index.js";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

const batch = () => ({
  numSteps: 1,
  numEnvs: 4,
  rewards: Float64Array.from([1, 2, 3, 6]),
  terminated: Uint8Array.from([1, 1, 1, 1]),
  truncated: new Uint8Array(4),
});

describeEstimator("mean-baseline", { create: () => new MeanBaselineEstimator(), batch });

describe("third-party plugin loaded by package name", () => {
  it("registers through loadPlugins and is selected from a config", async () => {
    // What a user's YAML config says, after parsing.
    const config: { plugins: string[]; advantage: PluginSpec } = {
      plugins: ["rlts-plugin-mean-baseline"],
      advantage: { name: "mean-baseline", scale: 2 },
    };
    const container = createContainer();
    await loadPlugins(container, config.plugins, { from: packageDir });
    expect(getRegistry(container).list("advantage")).toEqual(["mean-baseline"]);
    const estimator = createPlugin(container, "advantage", config.advantage);
    // mean = 3, so A = 2·(r − 3), worked by hand.
    expect([...estimator.estimate(batch()).advantages]).toEqual([-4, -2, 0, 6]);
  });

  it("does not register anything on import", async () => {
    await import("rlts-plugin-mean-baseline");
    expect(getRegistry(createContainer()).list("advantage")).toEqual([]);
  });
});
