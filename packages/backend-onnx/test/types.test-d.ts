import type {
  Disposable,
  Engine,
  PluginModule,
  RewardFunction,
  SequenceSampler,
  SequenceScorer,
  WeightReceiver,
} from "@rlts/core";
import { describe, expectTypeOf, it } from "vitest";
import {
  exportGpt,
  type OnnxEngine,
  type OnnxGpt,
  type OnnxMlpPolicy,
  type OnnxRewardModel,
  type OnnxRewardModelOptions,
  register,
} from "../src/index.js";

describe("public types", () => {
  it("the GPT engine has the rollout capabilities of @rlts/core", () => {
    expectTypeOf<OnnxGpt>().toExtend<SequenceSampler & SequenceScorer & WeightReceiver & Disposable>();
    expectTypeOf<OnnxMlpPolicy>().toExtend<WeightReceiver & Disposable>();
    expectTypeOf<OnnxEngine>().toExtend<Engine>();
    expectTypeOf<OnnxRewardModel>().toExtend<RewardFunction & Disposable>();
  });

  it("the package is a plugin module", () => {
    expectTypeOf({ register }).toExtend<PluginModule>();
  });

  it("export returns bytes and options reject misspelt fields", () => {
    expectTypeOf(exportGpt).returns.toEqualTypeOf<Uint8Array>();
    // @ts-expect-error: the option is `kvCache`
    exportGpt({ vocabSize: 4, contextLength: 4, dModel: 4, nLayers: 1, nHeads: 1 }, { kvcache: true });
    expectTypeOf<OnnxRewardModelOptions["input"]>().toEqualTypeOf<
      "completion" | "prompt+completion" | undefined
    >();
  });
});
