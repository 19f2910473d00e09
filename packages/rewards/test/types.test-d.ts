import type { PluginModule, RewardFunction } from "@rlts/core";
import { describe, expectTypeOf, it } from "vitest";
import {
  type CompositeReward,
  type CompositeScores,
  type DetailedRewardFunction,
  extractAnswer,
  type FormatReward,
  isDetailedReward,
  type LengthReward,
  type MathCorrectnessOptions,
  type MathCorrectnessReward,
  register,
} from "../src/index.js";

describe("public types", () => {
  it("every reward class implements RewardFunction", () => {
    expectTypeOf<MathCorrectnessReward>().toExtend<RewardFunction>();
    expectTypeOf<FormatReward>().toExtend<RewardFunction>();
    expectTypeOf<LengthReward>().toExtend<RewardFunction>();
    expectTypeOf<CompositeReward>().toExtend<DetailedRewardFunction>();
  });

  it("the package is a plugin module", () => {
    expectTypeOf({ register }).toExtend<PluginModule>();
  });

  it("scoreDetailed reports components by label, and the guard narrows", () => {
    expectTypeOf<CompositeScores["components"]>().toEqualTypeOf<
      Readonly<Record<string, (number | null)[]>>
    >();
    const reward = {} as RewardFunction;
    if (isDetailedReward(reward))
      expectTypeOf(reward.scoreDetailed).returns.resolves.toEqualTypeOf<CompositeScores>();
  });

  it("extraction returns a string or null, and formats are checked", () => {
    expectTypeOf(extractAnswer("")).toEqualTypeOf<string | null>();
    // @ts-expect-error: not a format
    extractAnswer("", { format: "xml" });
    // @ts-expect-error: strict is a boolean
    const bad: MathCorrectnessOptions = { strict: "yes" };
    void bad;
  });
});
