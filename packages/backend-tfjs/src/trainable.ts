import {
  ConfigError,
  type NamedTensor,
  NonFiniteError,
  type TrainablePolicy,
  type TrainStepResult,
  type WeightReceiver,
  type Weights,
} from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { AdamW, type AdamWOptions, type AdamWState } from "./adamw.js";
import { registerGradients } from "./gradients.js";
import { tidyValue } from "./ops.js";
import { flattenGradients, ParameterSet } from "./parameters.js";

/** Loss closure of {@link TrainableModel.trainStep}: builds a scalar tensor from the model's tensors. */
export type LossFn = () => tf.Scalar | tf.Tensor;

/**
 * What every trainable model of this package shares: named parameters, AdamW, the train step
 * (loss → gradients → global-norm clip → AdamW), weights and flat-vector access, optimiser state.
 */
export abstract class TrainableModel implements TrainablePolicy<tf.Tensor>, WeightReceiver {
  /** The model's parameters. */
  protected readonly params = new ParameterSet();
  private optimizer: AdamW | undefined;
  private optimizerOptions: AdamWOptions;
  private disposed = false;

  protected constructor(optimizer: AdamWOptions = {}) {
    registerGradients();
    this.optimizerOptions = optimizer;
  }

  /** Creates the optimiser once every parameter exists; subclasses call it at the end of their constructor. */
  protected initOptimizer(): void {
    const map = new Map(this.params.names.map((n) => [n, this.params.get(n)] as const));
    this.optimizer = new AdamW(map, this.optimizerOptions);
  }

  /** The optimiser (AdamW with its schedule). */
  get adamw(): AdamW {
    if (!this.optimizer)
      throw new ConfigError("optimizer", undefined, "call initOptimizer() in the constructor");
    return this.optimizer;
  }

  /** Parameter names in their fixed order (flat vectors and checkpoints use it). */
  get parameterNames(): readonly string[] {
    return this.params.names;
  }

  /** Number of trainable scalars. */
  get numParameters(): number {
    return this.params.size();
  }

  /** The tfjs variable of one parameter (read it inside a loss closure). */
  variable(name: string): tf.Variable {
    return this.params.get(name);
  }

  /**
   * Runs `loss` under the gradient tape, clips the global gradient norm (PyTorch `clip_grad_norm_`:
   * g ← g·min(1, max/(‖g‖ + 1e-6))) and applies one AdamW step. A non-finite loss or gradient throws
   * before any parameter changes. Every intermediate tensor is freed.
   */
  trainStep(loss: LossFn): TrainStepResult {
    this.assertLive();
    const variables = this.params.list();
    return tidyValue(() => {
      const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, variables);
      const byName = new Map<string, tf.Tensor>();
      for (const v of variables) {
        const g = grads[v.name];
        if (g) byName.set(this.params.publicName(v), g);
      }
      const squares = [...byName.values()].map((g) => tf.sum(tf.square(g)));
      const lossValue = value.dataSync()[0];
      const gradNorm = Math.sqrt(squares.length ? tf.addN(squares).dataSync()[0] : 0);
      if (!Number.isFinite(lossValue)) throw new NonFiniteError("loss", 0, lossValue);
      if (!Number.isFinite(gradNorm)) throw new NonFiniteError("gradient norm", 0, gradNorm);
      const max = this.adamw.config.maxGradNorm;
      const scale = max > 0 ? Math.min(1, max / (gradNorm + 1e-6)) : 1;
      this.adamw.apply(byName, scale);
      return { loss: lossValue, gradNorm };
    });
  }

  /**
   * The value of `loss` and its gradient with respect to the parameters `names` (default: all),
   * flattened like {@link getFlatParams}; parameters the loss does not touch get zeros. Nothing is
   * updated. TRPO's policy gradient g.
   */
  flatGradient(
    loss: LossFn,
    names: readonly string[] = this.params.names,
  ): { loss: number; gradient: Float64Array } {
    this.assertLive();
    const variables = this.params.list(names);
    return tidyValue(() => {
      const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, variables);
      const list = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
      return { loss: value.dataSync()[0], gradient: flattenGradients(list) };
    });
  }

  /** Evaluates `loss` without recording gradients (tidy, returns a number). */
  lossValue(loss: LossFn): number {
    return tidyValue(() => loss().dataSync()[0]);
  }

  /** A copy of every weight (row-major float32) by name: the core `Weights` map. */
  getWeights(): Map<string, NamedTensor> {
    this.assertLive();
    return this.params.getWeights();
  }

  /** Assigns every weight by name; a missing or unknown name or a wrong shape throws naming the tensor. */
  setWeights(weights: Weights, source = "weights"): void {
    this.assertLive();
    this.params.setWeights(weights, source);
  }

  /** The parameters of `names` (default: all, in {@link parameterNames} order) as one vector. */
  getFlatParams(names?: readonly string[]): Float32Array {
    return this.params.getFlat(names);
  }

  /** Writes a vector laid out like {@link getFlatParams} back into the parameters. */
  setFlatParams(flat: ArrayLike<number>, names?: readonly string[]): void {
    this.params.setFlat(flat, names);
  }

  /** AdamW's step count and moments, for checkpoints. */
  getOptimizerState(): AdamWState {
    return this.adamw.getState();
  }

  /** Restores AdamW's state. */
  setOptimizerState(state: AdamWState): void {
    this.adamw.setState(state);
  }

  /** Frees the parameters and the optimiser state. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    this.params.dispose();
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  protected assertLive(): void {
    if (this.disposed)
      throw new ConfigError("model", "disposed", "create a new model; this one was disposed");
  }
}
