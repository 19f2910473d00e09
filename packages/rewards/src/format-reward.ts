import { ConfigError, type RewardFunction, type RewardInput, type RewardScores } from "@rlts/core";
import { assertBoolean, assertFiniteNumber, assertKnownKeys, assertNonEmptyString } from "./options.js";
import { parseTaggedCompletion, taggedFormatDefaults } from "./tagged-format.js";

/** Options of {@link FormatReward} (plugin `format`). */
export interface FormatRewardOptions {
  /** Tags that must make up the whole completion, in order. Default `["think", "answer"]`. */
  readonly tags?: readonly string[];
  /** Whether a tag may be empty. Default `false`. */
  readonly allowEmpty?: boolean;
  /**
   * Instead of `tags`: a regular expression (source text) the whole completion must match; it is
   * anchored as `^(?:pattern)$` with flags `su`. It runs on untrusted text: avoid nested quantifiers
   * such as `(a+)+`, which backtrack catastrophically. Default: none (use `tags`).
   */
  readonly pattern?: string;
  /** Score of a well-formed completion. Default 1. */
  readonly score?: number;
  /** Score of a malformed one. Default 0. */
  readonly failScore?: number;
}

/** Defaults of {@link FormatRewardOptions}. */
export const formatRewardDefaults = {
  tags: taggedFormatDefaults.tags,
  allowEmpty: taggedFormatDefaults.allowEmpty,
  score: 1,
  failScore: 0,
} as const;

const knownKeys = ["tags", "allowEmpty", "pattern", "score", "failScore"] as const;

/**
 * `score` (1) when the completion is exactly `<think>…</think><answer>…</answer>` (white space allowed
 * around and between the blocks, no stray or nested tags, no empty block) or matches the configured
 * `pattern`, else `failScore` (0). The tag check scans linearly; see `parseTaggedCompletion`.
 */
export class FormatReward implements RewardFunction {
  readonly name = "format";
  private readonly tags: readonly string[];
  private readonly allowEmpty: boolean;
  private readonly pattern: RegExp | undefined;
  private readonly okScore: number;
  private readonly failScore: number;

  constructor(options: FormatRewardOptions = {}) {
    assertKnownKeys("format", options, knownKeys);
    this.tags = options.tags ?? formatRewardDefaults.tags;
    if (!Array.isArray(this.tags) || this.tags.length === 0) {
      throw new ConfigError(
        "format.tags",
        options.tags,
        'use a non-empty list of tag names, e.g. ["think", "answer"]',
      );
    }
    this.tags.forEach((tag, k) => {
      assertNonEmptyString(`format.tags[${k}]`, tag);
      if (/[<>/\s]/.test(tag))
        throw new ConfigError(`format.tags[${k}]`, tag, "use a bare tag name like think");
    });
    this.allowEmpty = options.allowEmpty ?? formatRewardDefaults.allowEmpty;
    assertBoolean("format.allowEmpty", this.allowEmpty);
    if (options.pattern !== undefined) {
      assertNonEmptyString("format.pattern", options.pattern);
      try {
        this.pattern = new RegExp(`^(?:${options.pattern})$`, "su");
      } catch (error) {
        throw new ConfigError(
          "format.pattern",
          options.pattern,
          `use a valid regular expression (${(error as Error).message})`,
        );
      }
    }
    this.okScore = options.score ?? formatRewardDefaults.score;
    assertFiniteNumber("format.score", this.okScore);
    this.failScore = options.failScore ?? formatRewardDefaults.failScore;
    assertFiniteNumber("format.failScore", this.failScore);
  }

  /** Whether one completion is well-formed. */
  isWellFormed(completion: string): boolean {
    if (typeof completion !== "string") return false;
    if (this.pattern) return this.pattern.test(completion);
    return parseTaggedCompletion(completion, { tags: this.tags, allowEmpty: this.allowEmpty }) !== null;
  }

  score(inputs: readonly RewardInput[]): RewardScores {
    return inputs.map((input) => (this.isWellFormed(input.completion) ? this.okScore : this.failScore));
  }
}
