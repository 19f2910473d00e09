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
}

/** Injection token for the run's {@link Objective}. */
export const Objective = token<Objective>("@rlts/core/Objective");
