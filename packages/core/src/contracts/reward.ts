import { token } from "../token.js";

/** One completion to score, with the prompt and the dataset fields it came from. */
export interface RewardInput {
  readonly prompt: string;
  readonly completion: string;
  /** Every field of the prompt's dataset row: `answer`, `question`, difficulty, anything else. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Completion length in tokens, where the tokenizer is known (length penalties need it). */
  readonly completionTokens?: number;
  /** Whether generation stopped at the length limit instead of a stop token. */
  readonly truncated?: boolean;
}

/** A score per input; `null` abstains (the grader has no opinion on that sample). */
export type RewardScores = readonly (number | null)[];

/** Options passed to each call of a reward function. */
export interface RewardCallOptions {
  /** Aborted when the caller's timeout expires; long graders should stop early. */
  readonly signal?: AbortSignal;
  /**
   * The prompt group of each input, one per input in the same order: inputs that answer the same
   * prompt share an id (the ids of `Batch.groupIds`). A trainer passes it. A reward that normalises
   * within groups (the composite's `normalize_then_sum`, as TRL's GDPO aggregation) requires it and
   * throws naming `groupIds` when it is absent; other rewards ignore it. The ids are group-local
   * labels, so a worker that scores one group per job may pass the same id for all its inputs.
   */
  readonly groupIds?: readonly number[];
}

/**
 * Scores a batch of completions. May be async. Returns one score per input in the same order, or
 * `null` to abstain; NaN is an error, never a score.
 */
export interface RewardFunction {
  /** The name under which its metric is logged, e.g. `"math-correctness"`. */
  readonly name: string;
  score(inputs: readonly RewardInput[], options?: RewardCallOptions): RewardScores | Promise<RewardScores>;
}

/** Injection token for the run's (composite) {@link RewardFunction}. */
export const RewardFunction = token<RewardFunction>("@rlts/core/RewardFunction");
