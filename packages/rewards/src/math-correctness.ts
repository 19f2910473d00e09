import {
  assertOneOf,
  ConfigError,
  type RewardFunction,
  type RewardInput,
  type RewardScores,
} from "@rlts/core";
import { type AnswerFormat, answerFormats, cleanAnswer, extractAnswer } from "./extract-answer.js";
import { assertBoolean, assertFiniteNumber, assertKnownKeys, assertNonEmptyString } from "./options.js";
import {
  type AnswerMatchOptions,
  answerMatchDefaults,
  type ParsedAnswer,
  type PercentMode,
  parseAnswer,
  parsedAnswersMatch,
  resolveOptions,
  type UnitMode,
} from "./parse-answer.js";
import { parseTaggedCompletion, taggedFormatDefaults } from "./tagged-format.js";
import type { UnicodeDigits } from "./text.js";

/** Options of {@link MathCorrectnessReward} (plugin `math-correctness`). */
export interface MathCorrectnessOptions extends AnswerMatchOptions {
  /**
   * Where the completion's answer is (see `AnswerFormat`). Default `"answer-tag"`: the last
   * `<answer>…</answer>`. `"auto"` accepts any extractable final answer.
   */
  readonly format?: AnswerFormat;
  /**
   * Strict grading: the completion must be exactly `<think>…</think><answer>…</answer>` (the `tags`, as
   * the `format` reward checks them) and the answer is the last block's content; a right number in a
   * malformed completion scores `noAnswerScore`. Default `false` (lenient: any answer `format` extracts).
   */
  readonly strict?: boolean;
  /** Tags of the strict shape; the answer is in the last one. Default `["think", "answer"]`. */
  readonly tags?: readonly string[];
  /**
   * The field of `RewardInput.fields` holding the reference answer. Default `"answer"`. A string
   * containing `####` (a GSM8K solution) is graded against the text after the last `####`; any other
   * string, number or bigint is the answer itself.
   */
  readonly answerField?: string;
  /** Score of a correct answer. Default 1. */
  readonly correctScore?: number;
  /** Score of an answer that was found but is wrong (partial credit for answering). Default 0. */
  readonly wrongScore?: number;
  /** Score when no clean answer is found (or the strict shape is broken). Default 0. */
  readonly noAnswerScore?: number;
  /** When the reference is missing or unusable: `"abstain"` (score `null`, default) or `"error"`. */
  readonly missingReference?: "abstain" | "error";
}

/** Defaults of {@link MathCorrectnessOptions}. */
export const mathCorrectnessDefaults = {
  ...answerMatchDefaults,
  format: "answer-tag",
  strict: false,
  tags: taggedFormatDefaults.tags,
  answerField: "answer",
  correctScore: 1,
  wrongScore: 0,
  noAnswerScore: 0,
  missingReference: "abstain",
} as const;

const knownKeys = [
  "format",
  "strict",
  "tags",
  "answerField",
  "correctScore",
  "wrongScore",
  "noAnswerScore",
  "missingReference",
  "percent",
  "units",
  "unicodeDigits",
  "maxLength",
] as const;

/** What {@link MathCorrectnessReward.grade} found for one input. */
export interface MathGrade {
  /** The completion's extracted answer, or `null` for none. */
  readonly answer: string | null;
  /** The reference answer, or `null` when missing. */
  readonly reference: string | null;
  /** Whether the answers match. */
  readonly correct: boolean;
  /** The score given (`null`: abstained for lack of a reference). */
  readonly score: number | null;
}

/**
 * The reference answer in a dataset field: the text after the last `####` of a GSM8K solution, the
 * string itself otherwise, or a number's decimal text. `null` when there is none.
 */
export function referenceAnswer(value: unknown): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "string") return null;
  if (value.includes("####")) return extractAnswer(value, { format: "gsm8k" });
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/**
 * 1 when the completion's final answer equals the reference (exactly, see `answersMatch`), else 0;
 * partial credit through `wrongScore` and `noAnswerScore`. Abstains (`null`) when the row has no
 * reference answer, unless `missingReference: "error"`.
 */
export class MathCorrectnessReward implements RewardFunction {
  readonly name = "math-correctness";
  private readonly options: Required<MathCorrectnessOptions>;
  private readonly match: Required<AnswerMatchOptions>;

  constructor(options: MathCorrectnessOptions = {}) {
    assertKnownKeys("math-correctness", options, knownKeys);
    const o = { ...mathCorrectnessDefaults } as Record<string, unknown>;
    for (const [key, value] of Object.entries(options)) if (value !== undefined) o[key] = value;
    assertOneOf("math-correctness.format", o.format, answerFormats);
    assertBoolean("math-correctness.strict", o.strict);
    if (!Array.isArray(o.tags) || o.tags.length === 0) {
      throw new ConfigError(
        "math-correctness.tags",
        o.tags,
        'use a non-empty list of tag names, e.g. ["think", "answer"]',
      );
    }
    (o.tags as unknown[]).forEach((tag, k) => {
      assertNonEmptyString(`math-correctness.tags[${k}]`, tag);
    });
    assertNonEmptyString("math-correctness.answerField", o.answerField);
    assertFiniteNumber("math-correctness.correctScore", o.correctScore);
    assertFiniteNumber("math-correctness.wrongScore", o.wrongScore);
    assertFiniteNumber("math-correctness.noAnswerScore", o.noAnswerScore);
    assertOneOf("math-correctness.missingReference", o.missingReference, ["abstain", "error"] as const);
    assertOneOf<PercentMode>("math-correctness.percent", o.percent, ["either", "value", "fraction"]);
    assertOneOf<UnitMode>("math-correctness.units", o.units, ["ignore", "strict"]);
    assertOneOf<UnicodeDigits>("math-correctness.unicodeDigits", o.unicodeDigits, ["reject", "fold"]);
    if (typeof o.maxLength !== "number" || !Number.isInteger(o.maxLength) || o.maxLength < 1) {
      throw new ConfigError("math-correctness.maxLength", o.maxLength, "use a whole number ≥ 1");
    }
    this.options = o as unknown as Required<MathCorrectnessOptions>;
    this.match = resolveOptions(this.options);
  }

  /** The completion's answer under this reward's `format` and `strict` settings, or `null`. */
  extract(completion: string): string | null {
    const o = this.options;
    if (o.strict) {
      const blocks = parseTaggedCompletion(completion, { tags: o.tags });
      if (blocks === null) return null;
      return cleanAnswer(blocks[blocks.length - 1], o);
    }
    return extractAnswer(completion, {
      format: o.format,
      unicodeDigits: o.unicodeDigits,
      maxLength: o.maxLength,
    });
  }

  /** Grades one input and says why. */
  grade(input: RewardInput): MathGrade {
    return this.gradeWith(input, new Map());
  }

  // `references` caches parsed references within a batch: the G completions of a prompt share one.
  private gradeWith(
    input: RewardInput,
    references: Map<unknown, [string | null, ParsedAnswer | null]>,
  ): MathGrade {
    const o = this.options;
    const field = input.fields?.[o.answerField];
    let cached = references.get(field);
    if (cached === undefined) {
      const text = referenceAnswer(field);
      cached = [text, text === null ? null : parseAnswer(text, this.match)];
      references.set(field, cached);
    }
    const [reference, parsedReference] = cached;
    if (reference === null) {
      if (o.missingReference === "error") {
        throw new ConfigError(
          `fields.${o.answerField}`,
          input.fields?.[o.answerField],
          "give every row a reference answer, or set math-correctness.answerField / missingReference",
        );
      }
      return { answer: null, reference: null, correct: false, score: null };
    }
    const answer = this.extract(input.completion);
    if (answer === null) return { answer, reference, correct: false, score: o.noAnswerScore };
    const correct = parsedAnswersMatch(parseAnswer(answer, this.match), parsedReference, this.match);
    return { answer, reference, correct, score: correct ? o.correctScore : o.wrongScore };
  }

  score(inputs: readonly RewardInput[]): RewardScores {
    const references = new Map<unknown, [string | null, ParsedAnswer | null]>();
    return inputs.map((input) => this.gradeWith(input, references).score);
  }
}
