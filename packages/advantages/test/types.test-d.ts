import type { AdvantageEstimator, PluginModule } from "@rlts/core";
import { describe, expectTypeOf, it } from "vitest";
import {
  computeGae,
  computeGroupAdvantages,
  type GaeEstimator,
  type GroupEstimator,
  type HybridEstimator,
  type ProcessGroupEstimator,
  type ReturnsEstimator,
  type RlooEstimator,
  register,
} from "../src/index.js";

describe("public types", () => {
  it("every estimator class implements AdvantageEstimator", () => {
    expectTypeOf<ReturnsEstimator>().toExtend<AdvantageEstimator>();
    expectTypeOf<GaeEstimator>().toExtend<AdvantageEstimator>();
    expectTypeOf<GroupEstimator>().toExtend<AdvantageEstimator>();
    expectTypeOf<ProcessGroupEstimator>().toExtend<AdvantageEstimator>();
    expectTypeOf<RlooEstimator>().toExtend<AdvantageEstimator>();
    expectTypeOf<HybridEstimator>().toExtend<AdvantageEstimator>();
  });

  it("the package is a plugin module", () => {
    expectTypeOf({ register }).toExtend<PluginModule>();
  });

  it("the plain functions return typed arrays and reject misspelt options", () => {
    expectTypeOf(computeGroupAdvantages).returns.toEqualTypeOf<Float64Array>();
    expectTypeOf(computeGae).returns.toHaveProperty("returns").toEqualTypeOf<Float64Array>();
    // @ts-expect-error scale must be "group", "batch" or "none"
    computeGroupAdvantages([1, 2], 2, { scale: "prompt" });
    // @ts-expect-error gamma is a number
    computeGae({ rewards: [1], values: [0], terminated: [1], truncated: [0] }, { gamma: "0.99" });
  });
});
