import type { TrainableModel } from "@rlts/backend-tfjs";
import { NonFiniteError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";

/** What {@link accumulatedStep} did. */
export interface AccumulatedStepResult {
  /** Σ of the micro-batch losses (the minibatch loss when each is scaled to its share). */
  readonly loss: number;
  /** Global norm of the accumulated gradient before clipping. */
  readonly gradNorm: number;
}

/**
 * One optimiser step from gradients summed over micro-batches, so memory is bounded by one micro-batch
 * whatever the minibatch size. Each closure returns its micro-batch's share of the minibatch loss;
 * the gradient of their sum is accumulated one closure at a time, then clipped by global norm
 * (PyTorch `clip_grad_norm_`, as `TrainableModel.trainStep`) and applied by the model's AdamW.
 * A non-finite loss or gradient throws `NonFiniteError` before any weight changes.
 */
export function accumulatedStep(
  model: TrainableModel,
  microLosses: readonly (() => tf.Scalar)[],
): AccumulatedStepResult {
  const names = model.parameterNames;
  const variables = names.map((n) => model.variable(n));
  const publicName = new Map(variables.map((v, i) => [v.name, names[i]] as const));
  const sums = new Map<string, tf.Tensor>();
  let loss = 0;
  try {
    for (const microLoss of microLosses) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(microLoss, variables);
        const lossValue = value.dataSync()[0];
        if (!Number.isFinite(lossValue)) throw new NonFiniteError("loss", 0, lossValue);
        loss += lossValue;
        for (const [internal, g] of Object.entries(grads)) {
          const name = publicName.get(internal);
          if (name === undefined) continue;
          const prev = sums.get(name);
          const next = tf.keep(prev ? tf.add(prev, g) : tf.clone(g));
          prev?.dispose();
          sums.set(name, next);
        }
      });
    }
    const gradNorm = tf.tidy(() => {
      const squares = [...sums.values()].map((g) => tf.sum(tf.square(g)));
      return Math.sqrt(squares.length ? tf.addN(squares).dataSync()[0] : 0);
    });
    if (!Number.isFinite(gradNorm)) throw new NonFiniteError("gradient norm", 0, gradNorm);
    const max = model.adamw.config.maxGradNorm;
    // g ← g·min(1, max/(‖g‖ + 1e-6)) (PyTorch clip_grad_norm_)
    const scale = max > 0 ? Math.min(1, max / (gradNorm + 1e-6)) : 1;
    model.adamw.apply(sums, scale);
    return { loss, gradNorm };
  } finally {
    for (const g of sums.values()) g.dispose();
  }
}
