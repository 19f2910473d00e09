import { token } from "../token.js";
import type { Batch, BatchField } from "./batch.js";

/** What an {@link AdvantageEstimator} returns; arrays are laid out like the batch (length T·E). */
export interface AdvantageResult {
  /** Â_t, one per step (or per completion). */
  readonly advantages: Float64Array;
  /** Value targets R_t where the estimator defines them (returns, GAE). */
  readonly returns?: Float64Array;
  /** Per-token advantages of each sample, for estimators that are not constant over a completion. */
  readonly tokenAdvantages?: readonly Float64Array[];
  /**
   * 1 where the sample takes part in the loss, 0 where the estimator masks it out entirely, KL term
   * included (off-policy GRPO's zero-variance mask, arXiv 2505.22257 eq. 8). A trainer multiplies it
   * into the loss mask; masked samples still count in the objective's sample mean. Absent: every
   * sample takes part.
   */
  readonly sampleMask?: Uint8Array;
  /** Diagnostics, e.g. the fraction of groups with zero reward std. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * Turns rewards (and, where required, values or group ids) into advantages. Every estimator takes the
 * same {@link Batch} and declares the optional fields it needs in `requires`, so the trainer can check
 * them once with a clear error instead of failing inside the maths.
 */
export interface AdvantageEstimator {
  /** The registry name, e.g. `"gae"`. */
  readonly name: string;
  /** Optional batch fields this estimator reads. */
  readonly requires: readonly BatchField[];
  /** Computes advantages for `batch`. Throws on NaN/±Infinity or mismatched lengths. */
  estimate(batch: Batch): AdvantageResult;
}

/** Injection token for the run's {@link AdvantageEstimator}. */
export const AdvantageEstimator = token<AdvantageEstimator>("@rlts/core/AdvantageEstimator");
