import type { PluginSpec } from "../registry.js";
import { token } from "../token.js";

/**
 * The tensors a policy loss may read, in one shape for every objective. `T` is the tensor type of the
 * training engine (a tfjs `Tensor` for `@rlts/backend-tfjs`). Per-token fields are `[B, T]`; per-sample
 * fields are `[B]`.
 */
export interface LossInputs<T> {
  /** log π_θ of the taken actions/tokens (differentiable). */
  readonly logprobs: T;
  /** log π_old of the same actions/tokens (the sampling policy). */
  readonly oldLogprobs?: T;
  /** log π_ref of the same tokens, for a KL penalty to a reference policy. */
  readonly refLogprobs?: T;
  /** Advantages: `[B]` per sample or `[B, T]` per token. */
  readonly advantages: T;
  /** 1 for tokens that count in the loss, 0 for padding and masked completions. */
  readonly mask?: T;
  /** V_θ(s) predicted now (differentiable). */
  readonly values?: T;
  /** V_old(s) predicted when the data was collected. */
  readonly oldValues?: T;
  /** Value targets R. */
  readonly returns?: T;
  /** Entropy of π_θ at each position (differentiable). */
  readonly entropy?: T;
  /** 1 for completions cut at the length limit (no stop token), `[B]`: for masking truncated completions. */
  readonly truncated?: T;
  /**
   * Active (mask = 1) tokens in the whole generation batch, over every gradient-accumulation micro-batch:
   * the global token count that token-mean losses divide by (TRL's `num_items_in_batch`).
   */
  readonly numItemsInBatch?: number;
}

/**
 * A flat-parameter view of a policy for update rules that do not go through the optimiser (TRPO's
 * natural-gradient step). Engine-independent: vectors are float64 copies of the trainable parameters.
 */
export interface TrustRegionProblem {
  /** A copy of the current parameters θ. */
  getParams(): Float64Array;
  /** Overwrites the parameters with `params` (same length as {@link getParams}). */
  setParams(params: Float64Array): void;
  /** The surrogate loss (to minimise) at the current parameters. */
  loss(): number;
  /** ∇θ of {@link loss} at the current parameters. */
  gradient(): Float64Array;
  /** Mean KL between the data-collecting policy π_old and the policy at the current parameters. */
  meanKl(): number;
  /** F·v: the Fisher information of the mean KL at θ_old times `v`, without damping. */
  fisherVectorProduct(v: Float64Array): Float64Array;
}

/** What a trust-region update did, for logging. */
export interface TrustRegionStepResult {
  /** Whether a step was taken; false means the old parameters were kept. */
  readonly accepted: boolean;
  /** Diagnostics: KL and loss after the step, backtracking steps used, step size. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** One sample as {@link Objective.countLossTokens} sees it. */
export interface LossTokenCount {
  /** Completion tokens (or steps) of the sample that the mask keeps. */
  readonly tokens: number;
  /** Whether the sample was cut at the length limit. */
  readonly truncated: boolean;
}

/** A loss to minimise plus named diagnostics (plain numbers or scalar tensors). */
export interface LossOutput<T> {
  readonly loss: T;
  readonly metrics: Readonly<Record<string, T | number>>;
}

/**
 * A policy-gradient objective. `loss` is minimised by the engine's optimiser; objectives that need
 * their own update rule (TRPO's natural-gradient step) may provide `update` too.
 */
export interface Objective<T = unknown> {
  /** The registry name, e.g. `"ppo"`. */
  readonly name: string;
  /** The optional {@link LossInputs} fields this objective reads. */
  readonly requires: readonly (keyof LossInputs<T>)[];
  /** The loss for one minibatch. */
  loss(inputs: LossInputs<T>): LossOutput<T>;
  /**
   * Replaces the optimiser step with the objective's own update (TRPO). The trainer calls it instead of
   * stepping an optimiser on {@link loss} when it is present.
   */
  trustRegionStep?(problem: TrustRegionProblem): TrustRegionStepResult;
  /**
   * Early stop checked before each optimiser step with that minibatch's loss metrics (SB3's target KL):
   * `true` skips the step and ends the update phase.
   */
  stopBeforeStep?(metrics: Readonly<Record<string, number>>): boolean;
  /**
   * Early stop checked after each epoch with the last minibatch's loss metrics (CleanRL's target KL):
   * `true` ends the update phase.
   */
  stopAfterEpoch?(metrics: Readonly<Record<string, number>>): boolean;
  /**
   * The number of tokens this objective's loss counts among `samples`, after its own masking (e.g. of
   * truncated completions): TRL's `num_items_in_batch`. A trainer that accumulates gradients sums it over
   * the samples of one optimiser step and passes it as {@link LossInputs.numItemsInBatch}. Absent: every
   * token counts.
   */
  countLossTokens?(samples: readonly LossTokenCount[]): number;
  /**
   * The factor a trainer multiplies each micro-batch's loss by when it accumulates the gradients of
   * `microBatches` micro-batches into one optimiser step, so that they add up to the step's loss.
   * Absent: 1/microBatches (each loss is a mean over its own micro-batch). A loss already divided by
   * the step's global count ({@link LossInputs.numItemsInBatch}, TRL's dapo) returns 1.
   */
  accumulationWeight?(microBatches: number): number;
  /**
   * Whether the loss importance-corrects samples drawn by an older policy against their own sampling
   * log-probs (`oldLogprobs` = log α), so a distributed trainer may use results up to its
   * `maxStaleness` versions behind (off-policy GRPO). Absent: false, stale results are re-run.
   */
  readonly acceptsStaleSamples?: boolean;
  /**
   * The advantage estimator this objective is defined with (a plugin spec, e.g. off-policy GRPO's
   * eq. 2 group advantages with its zero-variance mask), used by a trainer whose config names none.
   */
  readonly advantage?: PluginSpec;
  /**
   * Refresh the sampling policy every this many updates (off-policy GRPO's `v`); absent means every
   * update (on-policy).
   */
  readonly samplerRefreshPeriod?: number;
}

/** Injection token for the run's {@link Objective}. */
export const Objective = token<Objective>("@rlts/core/Objective");
