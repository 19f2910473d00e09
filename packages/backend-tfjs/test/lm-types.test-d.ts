import type { GptConfig as LmGptConfig, MlpArchitecture, MlpPolicyLike } from "@rlts/lm";
import { describe, expectTypeOf, it } from "vitest";
import type { GptConfig, GptModel, MlpPolicy } from "../src/index.js";

describe("types shared with @rlts/lm", () => {
  it("MlpPolicy is what exporters read (architecture and weights)", () => {
    expectTypeOf<MlpPolicy>().toExtend<MlpPolicyLike>();
    expectTypeOf<MlpPolicy["options"]>().toExtend<MlpArchitecture>();
  });

  it("GptConfig is @rlts/lm's, and GptModel.config is a full one", () => {
    expectTypeOf<GptConfig>().toEqualTypeOf<LmGptConfig>();
    expectTypeOf<GptModel["config"]>().toEqualTypeOf<Required<LmGptConfig>>();
  });
});
