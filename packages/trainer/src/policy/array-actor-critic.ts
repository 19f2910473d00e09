import { type AdamWOptions, ArrayAdamW, type MlpPolicy } from "@rlts/backend-tfjs";
import { NonFiniteError, type Rng, type TrainStepResult } from "@rlts/core";
import type { DifferentiableMlp, MlpActions } from "@rlts/lm";
import * as tf from "@tensorflow/tfjs-core";
import type { ActorCritic, EvaluateLoss } from "./actor-critic.js";

/** The loss and its gradients with respect to log π, H and V, read back from tfjs. */
interface EvaluationGradients {
  readonly loss: number;
  readonly logprob?: Float32Array;
  readonly entropy?: Float32Array;
  readonly values?: Float32Array;
}

/**
 * A network that runs outside tfjs (a {@link DifferentiableMlp}, e.g. onnxruntime's) trained on a tfjs
 * loss. Each step: the engine's forward gives log π(a|s), the entropy and V(s); they enter tfjs as leaf
 * tensors, the objective's loss is built over them and differentiated with respect to the leaves only
 * (a few [B] tensors, so the tape holds the objective's ops and nothing of the network); the engine's
 * backward turns those gradients into the weights' gradients; the global norm is clipped and
 * {@link ArrayAdamW} updates the engine's weights in place. A parameter the loss does not reach (the
 * value trunk of a loss without a value term, say) is left alone, as tfjs's `variableGrads` and
 * PyTorch leave it.
 */
export class ArrayActorCritic implements ActorCritic {
  private readonly optimizer: ArrayAdamW;

  constructor(
    readonly network: DifferentiableMlp,
    optimizer: AdamWOptions,
  ) {
    this.optimizer = new ArrayAdamW(network.parameters, optimizer);
  }

  act(obs: Float32Array, rng: Rng, options: { readonly greedy?: boolean } = {}): Promise<MlpActions> {
    return this.network.act(obs, rng, options);
  }

  async values(obs: Float32Array): Promise<Float64Array> {
    return Float64Array.from((await this.network.predict(obs)).values ?? []);
  }

  get currentLr(): number {
    return this.optimizer.currentLr;
  }

  /** The loss of the batch and (with `withGradients`) its gradients with respect to log π, H and V. */
  private async evaluationGradients(
    obs: Float32Array,
    actions: Int32Array | Float32Array,
    loss: EvaluateLoss,
    withGradients: boolean,
  ): Promise<EvaluationGradients> {
    const ev = await this.network.forward(obs, actions);
    const read = (t: tf.Tensor | undefined) => (t ? Float32Array.from(t.dataSync()) : undefined);
    const result = tf.tidy(() => {
      const logprob = tf.tensor1d(ev.logprob);
      const entropy = tf.tensor1d(ev.entropy);
      const value = ev.values ? tf.tensor1d(ev.values) : undefined;
      const f = () => loss({ logprob, entropy, value }) as tf.Scalar;
      if (!withGradients) return { loss: f().dataSync()[0] };
      const leaves: tf.Tensor[] = value ? [logprob, entropy, value] : [logprob, entropy];
      // Gradients with respect to the leaves alone; a leaf the loss does not reach gets none.
      const { value: y, grads } = tf.engine().gradients(f, leaves, undefined, true);
      return {
        loss: y.dataSync()[0],
        logprob: read(grads[0]),
        entropy: read(grads[1]),
        values: value ? read(grads[2]) : undefined,
      };
    }) as unknown as EvaluationGradients;
    if (!Number.isFinite(result.loss)) throw new NonFiniteError("loss", 0, result.loss);
    return result;
  }

  async lossValue(
    obs: Float32Array,
    actions: Int32Array | Float32Array,
    loss: EvaluateLoss,
  ): Promise<number> {
    return (await this.evaluationGradients(obs, actions, loss, false)).loss;
  }

  async trainStep(
    obs: Float32Array,
    actions: Int32Array | Float32Array,
    loss: EvaluateLoss,
  ): Promise<TrainStepResult> {
    const arch = this.network.architecture;
    const g = await this.evaluationGradients(obs, actions, loss, true);
    const B = obs.length / arch.obsDim;
    const zeros = new Float32Array(B);
    const all = await this.network.backward({
      logprob: g.logprob ?? zeros,
      entropy: g.entropy ?? zeros,
      values: arch.valueHead ? (g.values ?? zeros) : undefined,
    });
    // What each weight feeds (backend-tfjs README, "MLP weights"): the network of π reaches log π and,
    // for a categorical head, H; a Gaussian H depends on log σ alone; V's own trunk reaches only V.
    const gaussian = arch.action.type === "gaussian";
    const policyReached = g.logprob !== undefined || (!gaussian && g.entropy !== undefined);
    const reached = (name: string) => {
      if (name === "pi.logStd") return g.logprob !== undefined || g.entropy !== undefined;
      if (name.startsWith("vf.")) return g.values !== undefined;
      if (name.startsWith("trunk.")) return policyReached || g.values !== undefined;
      return policyReached;
    };
    const grads = new Map<string, Float32Array>();
    for (const [name, grad] of all) if (reached(name)) grads.set(name, grad);
    let sumSquares = 0;
    for (const grad of grads.values()) for (let i = 0; i < grad.length; i++) sumSquares += grad[i] * grad[i];
    const gradNorm = Math.sqrt(sumSquares);
    if (!Number.isFinite(gradNorm)) throw new NonFiniteError("gradient norm", 0, gradNorm);
    // g ← g·min(1, max/(‖g‖ + 1e-6)) (PyTorch clip_grad_norm_), as TrainableModel.trainStep.
    const max = this.optimizer.config.maxGradNorm;
    const scale = max > 0 ? Math.min(1, max / (gradNorm + 1e-6)) : 1;
    this.optimizer.apply(grads, scale);
    return { loss: g.loss, gradNorm };
  }

  syncTo(policy: MlpPolicy): void {
    policy.setWeights(this.network.getWeights());
  }

  dispose(): Promise<void> | void {
    return this.network.dispose();
  }
}
