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

/** Sums gradients of micro-batch losses, then applies one clipped AdamW step. */
class GradientAccumulator {
  private readonly variables: tf.Variable[];
  private readonly publicName: Map<string, string>;
  private readonly sums = new Map<string, tf.Tensor>();
  private loss = 0;

  constructor(private readonly model: TrainableModel) {
    const names = model.parameterNames;
    this.variables = names.map((n) => model.variable(n));
    this.publicName = new Map(this.variables.map((v, i) => [v.name, names[i]] as const));
  }

  add(microLoss: () => tf.Scalar): void {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(microLoss, this.variables);
      const lossValue = value.dataSync()[0];
      if (!Number.isFinite(lossValue)) throw new NonFiniteError("loss", 0, lossValue);
      this.loss += lossValue;
      for (const [internal, g] of Object.entries(grads)) {
        const name = this.publicName.get(internal);
        if (name === undefined) continue;
        const prev = this.sums.get(name);
        const next = tf.keep(prev ? tf.add(prev, g) : tf.clone(g));
        prev?.dispose();
        this.sums.set(name, next);
      }
    });
  }

  step(): AccumulatedStepResult {
    const gradNorm = tf.tidy(() => {
      const squares = [...this.sums.values()].map((g) => tf.sum(tf.square(g)));
      return Math.sqrt(squares.length ? tf.addN(squares).dataSync()[0] : 0);
    });
    if (!Number.isFinite(gradNorm)) throw new NonFiniteError("gradient norm", 0, gradNorm);
    const max = this.model.adamw.config.maxGradNorm;
    // g ← g·min(1, max/(‖g‖ + 1e-6)) (PyTorch clip_grad_norm_)
    const scale = max > 0 ? Math.min(1, max / (gradNorm + 1e-6)) : 1;
    this.model.adamw.apply(this.sums, scale);
    return { loss: this.loss, gradNorm };
  }

  dispose(): void {
    for (const g of this.sums.values()) g.dispose();
    this.sums.clear();
  }
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
  const accumulator = new GradientAccumulator(model);
  try {
    for (const microLoss of microLosses) accumulator.add(microLoss);
    return accumulator.step();
  } finally {
    accumulator.dispose();
  }
}

/**
 * {@link accumulatedStep} that awaits `between()` after each micro-batch: the trainer yields to the
 * event loop there so that an overlapped generation (onnxruntime runs natively) makes progress.
 */
export async function accumulatedStepAsync(
  model: TrainableModel,
  microLosses: readonly (() => tf.Scalar)[],
  between: () => Promise<void>,
): Promise<AccumulatedStepResult> {
  const accumulator = new GradientAccumulator(model);
  try {
    for (const microLoss of microLosses) {
      accumulator.add(microLoss);
      await between();
    }
    return accumulator.step();
  } finally {
    accumulator.dispose();
  }
}
