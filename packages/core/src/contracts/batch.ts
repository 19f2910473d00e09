/**
 * Rollout data as every advantage estimator receives it. Arrays are flat and step-major: entry
 * `t * numEnvs + e` is environment `e` at step `t` (CleanRL's `[num_steps, num_envs]` layout).
 *
 * For LLM training (GRPO) a batch of N completions is `numSteps = 1`, `numEnvs = N`, one reward per
 * completion, every step `terminated`, and `groupIds` naming the prompt each completion answers.
 */
export interface Batch {
  /** Steps per environment, T. */
  readonly numSteps: number;
  /** Parallel environments (or completions), E. */
  readonly numEnvs: number;
  /** r_t, length T·E. */
  readonly rewards: Float64Array;
  /**
   * 1 (or `true`) where the step ended its episode in a terminal state (no bootstrap), length T·E.
   * Entries are 0/1 or booleans (Gymnasium's `terminated`); estimators reject anything else.
   */
  readonly terminated: ArrayLike<number | boolean>;
  /**
   * 1 (or `true`) where the step ended its episode by a time limit (bootstrap from the final
   * observation), length T·E. Entries are 0/1 or booleans, as for `terminated`.
   */
  readonly truncated: ArrayLike<number | boolean>;
  /**
   * 1 where the sample has no reward at all: every reward function abstained (`null`), length T·E.
   * Its `rewards` entry is still finite (a trainer writes 0) and is ignored. This is TRL's
   * unscorable completion (`grpo_trainer.py` `_generate_and_score_completions`: reward NaN, group
   * statistics by `nanmean`/`nanstd`, advantage `nan_to_num` → 0): the group estimators (`group`
   * at every scale, `rloo`, Hybrid GRPO's `centred` variant) compute their means and stds over the
   * scored samples only and give an abstained sample advantage 0; a scored sample with no other
   * scored sample in its group gets 0 too. Estimators that do not read `rewards` (`group-process`,
   * Hybrid GRPO's `mean` variant) ignore it; step estimators (`returns`, `gae`) cannot leave a step
   * out of a discounted sum and throw if any entry is 1. Absent: every sample was scored.
   */
  readonly abstained?: Uint8Array;
  /** V(s_t), length T·E. */
  readonly values?: Float64Array;
  /** V(final observation before auto-reset), read only where `truncated`, length T·E. */
  readonly truncationValues?: Float64Array;
  /** V(s_T): value of the observation after the last step of each env, length E. */
  readonly lastValues?: Float64Array;
  /** Group (prompt or start state) of each sample, length T·E. Samples of one group share an id. */
  readonly groupIds?: Int32Array;
  /** log π_old(a_t|s_t) of each step, length T·E. */
  readonly logprobs?: Float64Array;
  /** Per-step rewards of a process reward model (DeepSeekMath §4.1.3). */
  readonly processRewards?: ProcessRewards;
  /** Rewards of several actions sampled at each visited state (Hybrid GRPO). */
  readonly actionSamples?: ActionSampleRewards;
}

/** Step-level rewards for process supervision: step `j` of sample `sample[j]` ends at token `endToken[j]`. */
export interface ProcessRewards {
  /** Sample (completion) index of each scored step. */
  readonly sample: Int32Array;
  /** Index of the last token of each scored step within its completion. */
  readonly endToken: Int32Array;
  /** The reward of each scored step. */
  readonly rewards: Float64Array;
  /** Number of completion tokens of each sample, length E. */
  readonly lengths: Int32Array;
}

/** `rewards[(t·E + e)·N + i]` is the reward of the i-th of N actions sampled at state (t, e). */
export interface ActionSampleRewards {
  readonly samplesPerState: number;
  readonly rewards: Float64Array;
}

/** The optional fields of a {@link Batch} an estimator may require. */
export type BatchField =
  | "values"
  | "truncationValues"
  | "lastValues"
  | "groupIds"
  | "logprobs"
  | "processRewards"
  | "actionSamples";

/** A single environment's trajectory segment; a {@link Batch} with `numEnvs = 1` in other words. */
export interface Trajectory {
  readonly rewards: Float64Array;
  readonly terminated: ArrayLike<number | boolean>;
  readonly truncated: ArrayLike<number | boolean>;
  readonly values?: Float64Array;
  readonly truncationValues?: Float64Array;
  readonly lastValue?: number;
  readonly logprobs?: Float64Array;
}
