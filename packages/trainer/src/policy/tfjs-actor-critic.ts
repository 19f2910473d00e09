import type { MlpPolicy } from "@rlts/backend-tfjs";
import type { Rng, TrainStepResult } from "@rlts/core";
import type { MlpActions } from "@rlts/lm";
import * as tf from "@tensorflow/tfjs-core";
import type { ActorCritic, EvaluateLoss } from "./actor-critic.js";

/** The backend-tfjs `MlpPolicy` itself: its tape, its AdamW, its tfjs backend. */
export class TfjsActorCritic implements ActorCritic {
  constructor(readonly policy: MlpPolicy) {}

  act(obs: Float32Array, rng: Rng, options: { readonly greedy?: boolean } = {}): MlpActions {
    return this.policy.act(obs, rng, options);
  }

  values(obs: Float32Array): Float64Array {
    const v = tf.tidy(() => this.policy.value(obs));
    try {
      return Float64Array.from(v.dataSync());
    } finally {
      v.dispose();
    }
  }

  trainStep(obs: Float32Array, actions: Int32Array | Float32Array, loss: EvaluateLoss): TrainStepResult {
    return this.policy.trainStep(() => loss(this.policy.evaluate(obs, actions)));
  }

  lossValue(obs: Float32Array, actions: Int32Array | Float32Array, loss: EvaluateLoss): number {
    return this.policy.lossValue(() => loss(this.policy.evaluate(obs, actions)));
  }

  get currentLr(): number {
    return this.policy.adamw.currentLr;
  }

  syncTo(policy: MlpPolicy): void {
    if (policy !== this.policy) policy.setWeights(this.policy.getWeights());
  }

  /** The policy belongs to the trainer, which disposes it. */
  dispose(): void {}
}
