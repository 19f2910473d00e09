import {
  assertOneOf,
  ConfigError,
  type RewardFunction,
  type RewardInput,
  type RewardScores,
} from "@rlts/core";
import { assertFiniteNumber, assertKnownKeys } from "./options.js";

/** Options of {@link LengthReward} (plugin `length`). */
export interface LengthRewardOptions {
  /** L_max: the generation length limit. Default 20480 (DAPO §3.4). */
  readonly maxLength?: number;
  /** L_cache: the soft-penalty interval before L_max. Default 4096 (DAPO §3.4). Must be ≤ maxLength. */
  readonly cacheLength?: number;
  /** Multiplies the penalty (verl's `overlong_penalty_factor`). Default 1, as in DAPO. */
  readonly factor?: number;
  /**
   * What |y| counts: `"tokens"` (default, `RewardInput.completionTokens`, as DAPO and TRL do) or
   * `"characters"` (Unicode code points of the completion; right for a character-level model).
   */
  readonly measure?: "tokens" | "characters";
  /**
   * When `measure` is `"tokens"` and an input has no `completionTokens`: `"error"` (default: the
   * penalty would silently use the wrong unit), `"characters"` (count code points instead) or
   * `"abstain"` (score `null`).
   */
  readonly missingTokens?: "error" | "characters" | "abstain";
}

/** Defaults of {@link LengthRewardOptions} (DAPO's L_max and L_cache). */
export const lengthRewardDefaults = {
  maxLength: 20480,
  cacheLength: 4096,
  factor: 1,
  measure: "tokens",
  missingTokens: "error",
} as const satisfies Required<LengthRewardOptions>;

const knownKeys = ["maxLength", "cacheLength", "factor", "measure", "missingTokens"] as const;

/**
 * DAPO's soft overlong punishment R_length(y) for a completion of length `y` (≤ 0):
 * 0 up to L_max − L_cache, then falling linearly to −1 at L_max, and −1 beyond.
 * With L_cache = 0 it is a hard step: 0 up to L_max, −1 beyond.
 */
export function softOverlongPunishment(y: number, maxLength: number, cacheLength: number): number {
  // R_length(y) as in DAPO (arXiv 2503.14476) §3.4 eq. 13.
  if (y <= maxLength - cacheLength) return 0;
  if (y <= maxLength) return (maxLength - cacheLength - y) / cacheLength;
  return -1;
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A surrogate pair is one code point.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * The DAPO soft overlong punishment as a reward (`factor · R_length(|y|)`, in [−factor, 0]). Add it to
 * the correctness reward with a composite, as DAPO does.
 */
export class LengthReward implements RewardFunction {
  readonly name = "length";
  readonly maxLength: number;
  readonly cacheLength: number;
  readonly factor: number;
  readonly measure: "tokens" | "characters";
  readonly missingTokens: "error" | "characters" | "abstain";

  constructor(options: LengthRewardOptions = {}) {
    assertKnownKeys("length", options, knownKeys);
    this.maxLength = options.maxLength ?? lengthRewardDefaults.maxLength;
    if (typeof this.maxLength !== "number" || !Number.isInteger(this.maxLength) || this.maxLength < 1) {
      throw new ConfigError(
        "length.maxLength",
        options.maxLength,
        "use a whole number ≥ 1 (the generation limit L_max)",
      );
    }
    this.cacheLength = options.cacheLength ?? lengthRewardDefaults.cacheLength;
    if (
      typeof this.cacheLength !== "number" ||
      !Number.isInteger(this.cacheLength) ||
      this.cacheLength < 0 ||
      this.cacheLength > this.maxLength
    ) {
      throw new ConfigError(
        "length.cacheLength",
        options.cacheLength,
        `use a whole number between 0 and maxLength (${this.maxLength}); DAPO uses L_cache = L_max / 5`,
      );
    }
    this.factor = options.factor ?? lengthRewardDefaults.factor;
    assertFiniteNumber("length.factor", this.factor);
    this.measure = options.measure ?? lengthRewardDefaults.measure;
    assertOneOf("length.measure", this.measure, ["tokens", "characters"] as const);
    this.missingTokens = options.missingTokens ?? lengthRewardDefaults.missingTokens;
    assertOneOf("length.missingTokens", this.missingTokens, ["error", "characters", "abstain"] as const);
  }

  /** |y| of one input in the configured unit, or `null` to abstain. */
  lengthOf(input: RewardInput, index = 0): number | null {
    if (this.measure === "tokens") {
      const tokens = input.completionTokens;
      if (tokens !== undefined) {
        if (typeof tokens !== "number" || !Number.isInteger(tokens) || tokens < 0) {
          throw new ConfigError(`inputs[${index}].completionTokens`, tokens, "pass a whole number ≥ 0");
        }
        return tokens;
      }
      if (this.missingTokens === "abstain") return null;
      if (this.missingTokens === "error") {
        throw new ConfigError(
          `inputs[${index}].completionTokens`,
          tokens,
          'pass the completion length in tokens, or set length.measure: "characters" (or missingTokens)',
        );
      }
    }
    if (typeof input.completion !== "string") {
      throw new ConfigError(
        `inputs[${index}].completion`,
        input.completion,
        "pass the completion text as a string",
      );
    }
    return codePoints(input.completion);
  }

  score(inputs: readonly RewardInput[]): RewardScores {
    return inputs.map((input, i) => {
      const y = this.lengthOf(input, i);
      if (y === null) return null;
      const penalty = softOverlongPunishment(y, this.maxLength, this.cacheLength);
      // 0 · factor stays 0 (never −0), so logs and equality checks read cleanly.
      return penalty === 0 ? 0 : this.factor * penalty;
    });
  }
}
