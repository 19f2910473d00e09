import type { EvaluateResult, MlpPolicy } from "@rlts/backend-tfjs";
import type { Rng, TrainStepResult } from "@rlts/core";
import type { MlpActions } from "@rlts/lm";
import type * as tf from "@tensorflow/tfjs-core";

/** A loss over the policy's log π(a|s), entropy and V(s) tensors of a minibatch (tfjs). */
export type EvaluateLoss = (evaluation: EvaluateResult) => tf.Tensor;

/**
 * What the environment trainer asks of the network it trains, whichever engine runs it: act, value
 * observations, and take optimiser steps on a tfjs loss over {@link EvaluateResult}. The tfjs
 * `MlpPolicy` is one ({@link TfjsActorCritic}); an engine with the `createTrainableMlp` capability
 * gives another ({@link ArrayActorCritic}).
 */
export interface ActorCritic {
  act(obs: Float32Array, rng: Rng, options?: { readonly greedy?: boolean }): MlpActions | Promise<MlpActions>;
  /** V(s) of each observation row. */
  values(obs: Float32Array): Float64Array | Promise<Float64Array>;
  /**
   * One optimiser step on `loss(evaluate(obs, actions))`: gradients, global-norm clip, AdamW. A
   * non-finite loss or gradient throws before any weight changes.
   */
  trainStep(
    obs: Float32Array,
    actions: Int32Array | Float32Array,
    loss: EvaluateLoss,
  ): TrainStepResult | Promise<TrainStepResult>;
  /** `loss(evaluate(obs, actions))` without a step. */
  lossValue(
    obs: Float32Array,
    actions: Int32Array | Float32Array,
    loss: EvaluateLoss,
  ): number | Promise<number>;
  /** The learning rate of the next optimiser step. */
  readonly currentLr: number;
  /** Copies the weights into `policy` when they live elsewhere (nothing to do when it is `policy`). */
  syncTo(policy: MlpPolicy): void;
  dispose(): void | Promise<void>;
}
