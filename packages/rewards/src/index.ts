import { getRegistry } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { createCompositeReward } from "./composite-reward.js";
import { FormatReward, type FormatRewardOptions } from "./format-reward.js";
import { LengthReward, type LengthRewardOptions } from "./length-reward.js";
import { type MathCorrectnessOptions, MathCorrectnessReward } from "./math-correctness.js";

export {
  type Aggregation,
  type ComponentFailure,
  type CompositeComponentSpec,
  type CompositePart,
  CompositeReward,
  type CompositeRewardOptions,
  type CompositeScores,
  compositeMetrics,
  compositeRewardDefaults,
  createCompositeReward,
  type DetailedRewardFunction,
  isDetailedReward,
  type OnError,
} from "./composite-reward.js";
export {
  type AnswerFormat,
  answerFormats,
  autoFormatOrder,
  cleanAnswer,
  type ExtractAnswerOptions,
  extractAnswer,
  extractAnswerDefaults,
} from "./extract-answer.js";
export { FormatReward, type FormatRewardOptions, formatRewardDefaults } from "./format-reward.js";
export {
  LengthReward,
  type LengthRewardOptions,
  lengthRewardDefaults,
  softOverlongPunishment,
} from "./length-reward.js";
export {
  type MathCorrectnessOptions,
  MathCorrectnessReward,
  type MathGrade,
  mathCorrectnessDefaults,
  referenceAnswer,
} from "./math-correctness.js";
export {
  type AnswerMatchOptions,
  answerMatchDefaults,
  answersMatch,
  normalizeAnswer,
  type ParsedAnswer,
  type PercentMode,
  parseAnswer,
  parsedAnswersMatch,
  type UnitMode,
} from "./parse-answer.js";
export { formatRational, type Rational, rational } from "./rational.js";
export { parseTaggedCompletion, type TaggedFormatOptions, taggedFormatDefaults } from "./tagged-format.js";
export type { UnicodeDigits } from "./text.js";

/**
 * Adds the reward plugins `math-correctness`, `format`, `length` and `composite` to the container's
 * registry. `composite` builds its components by name through the same registry, so it can combine
 * third-party rewards registered before or after this call.
 */
export function register(container: DependencyContainer): void {
  getRegistry(container)
    .register(
      "reward",
      "math-correctness",
      (options) => new MathCorrectnessReward(options as MathCorrectnessOptions),
      {
        description:
          "1 when the final answer equals the reference answer exactly (GSM8K #### answers), else 0",
      },
    )
    .register("reward", "format", (options) => new FormatReward(options as FormatRewardOptions), {
      description:
        "1 when the completion is exactly <think>…</think><answer>…</answer> (or a configured pattern)",
    })
    .register("reward", "length", (options) => new LengthReward(options as LengthRewardOptions), {
      description: "DAPO soft overlong punishment: 0 up to L_max − L_cache, linear to −1 at L_max",
    })
    .register("reward", "composite", createCompositeReward, {
      description: "weighted combination of named rewards; reports each component separately",
    });
}
