import { ConfigError, type NamedTensor, type Rng, ShapeError, StateError, type Weights } from "@rlts/core";
import {
  type DifferentiableMlp,
  type MlpArchitecture,
  type MlpEvaluation,
  type MlpEvaluationGradients,
  sampleActions,
} from "@rlts/lm";
import type * as ort from "onnxruntime-node";
import { checkWeights } from "./gpt-export.js";
import { checkMlpArchitecture, exportMlpPolicy, mlpWeightShapes } from "./mlp-export.js";
import {
  exportMlpBackward,
  exportMlpTrainForward,
  gradientName,
  type MlpTrainForwardNames,
  mlpActionInput,
  mlpTrainForwardNames,
} from "./mlp-train-graph.js";
import type { MlpForward, OnnxActResult } from "./onnx-mlp-policy.js";
import { createSession, floatTensor, type SessionOptions } from "./session.js";

/** A weight of {@link OnnxTrainableMlp}: its shape and its live values (an optimiser updates them in place). */
export interface MlpParameter extends NamedTensor {
  readonly data: Float32Array;
}

/**
 * A backend-tfjs MLP actor(-critic) trained on onnxruntime, which cannot differentiate: a forward graph
 * giving log π(a|s), the entropy and V(s) (and keeping the activations), and a hand-written backward
 * graph that turns a loss's gradient with respect to those into every weight's gradient
 * (`exportMlpTrainForward`, `exportMlpBackward`). The loss itself is the caller's (e.g. a tfjs
 * objective over the three [B] vectors), and so is the optimiser: the weights are plain Float32Arrays
 * ({@link parameters}) that the sessions read on every run, so an optimiser that updates them in
 * place needs no weight sync.
 */
export class OnnxTrainableMlp implements DifferentiableMlp {
  /** Weights by backend-tfjs name, in `mlpWeightShapes` order. */
  readonly parameters: ReadonlyMap<string, MlpParameter>;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private readonly names: MlpTrainForwardNames;
  private saved: Record<string, ort.Tensor> | undefined;
  private savedRows = 0;
  private disposed = false;

  private constructor(
    /** The architecture. */
    readonly architecture: MlpArchitecture,
    private readonly inference: ort.InferenceSession,
    private readonly trainForward: ort.InferenceSession,
    private readonly backwardSession: ort.InferenceSession,
    weights: Weights,
  ) {
    this.names = mlpTrainForwardNames(architecture);
    const params = new Map<string, MlpParameter>();
    for (const [name, shape] of mlpWeightShapes(architecture)) {
      const data = Float32Array.from(weights.get(name)!.data);
      params.set(name, { shape, data });
      this.feeds[name] = floatTensor(data, shape);
    }
    this.parameters = params;
  }

  /** Opens the three sessions (acting, forward for training, backward) with a copy of `weights`. */
  static async create(
    architecture: MlpArchitecture,
    weights: Weights,
    options: SessionOptions = {},
  ): Promise<OnnxTrainableMlp> {
    checkMlpArchitecture(architecture);
    const checked = checkWeights("weights", weights, mlpWeightShapes(architecture));
    const [inference, forward, backward] = await Promise.all([
      createSession("<exportMlpPolicy>", exportMlpPolicy(architecture), options),
      createSession("<exportMlpTrainForward>", exportMlpTrainForward(architecture), options),
      createSession("<exportMlpBackward>", exportMlpBackward(architecture), options),
    ]);
    return new OnnxTrainableMlp(architecture, inference, forward, backward, checked);
  }

  private checkObs(obs: Float32Array): ort.Tensor {
    this.assertLive();
    const d = this.architecture.obsDim;
    if (!(obs instanceof Float32Array) || obs.length === 0 || obs.length % d !== 0) {
      throw new ShapeError("obs", `a Float32Array of a multiple of obsDim = ${d} values`, `${obs?.length}`);
    }
    return floatTensor(obs, [obs.length / d, d]);
  }

  private feedsFor(session: ort.InferenceSession): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) if (this.feeds[name]) out[name] = this.feeds[name];
    return out;
  }

  /** Head output and values for observations, row-major [B·obsDim] (nothing kept for a backward). */
  async predict(obs: Float32Array): Promise<MlpForward> {
    const x = this.checkObs(obs);
    const result = await this.inference.run({ ...this.feedsFor(this.inference), obs: x });
    const gaussian = this.architecture.action.type === "gaussian";
    return {
      out: (gaussian ? result.mean : result.logits).data as Float32Array,
      logStd: gaussian ? this.parameters.get("pi.logStd")!.data : undefined,
      values: this.architecture.valueHead ? (result.value.data as Float32Array) : undefined,
    };
  }

  /**
   * Samples (or with `greedy` takes the mode of) actions with `@rlts/lm`'s `sampleActions`, the rule
   * of backend-tfjs `MlpPolicy.act` and `OnnxMlpPolicy.act`.
   */
  async act(
    obs: Float32Array,
    rng: Rng,
    options: { readonly greedy?: boolean } = {},
  ): Promise<OnnxActResult> {
    const { out, logStd, values } = await this.predict(obs);
    const { actions, logprobs } = sampleActions(this.architecture.action, out, logStd, rng, options.greedy);
    return { actions, logprobs, values: values ? Float64Array.from(values) : undefined };
  }

  /** The action input of the training graphs: one-hot rows for a categorical head, the actions for a Gaussian. */
  private actionFeed(actions: Int32Array | Float32Array, B: number): ort.Tensor {
    const head = this.architecture.action;
    if (head.type === "categorical") {
      if (actions.length !== B) throw new ShapeError("actions", `${B} action ids`, `${actions.length}`);
      const onehot = new Float32Array(B * head.n);
      for (let b = 0; b < B; b++) {
        const a = actions[b];
        if (!Number.isInteger(a) || a < 0 || a >= head.n)
          throw new ConfigError(`actions[${b}]`, a, `use ids in [0, ${head.n - 1}]`);
        onehot[b * head.n + a] = 1;
      }
      return floatTensor(onehot, [B, head.n]);
    }
    if (actions.length !== B * head.dim)
      throw new ShapeError("actions", `${B * head.dim} values (B·dim)`, `${actions.length}`);
    return floatTensor(Float32Array.from(actions), [B, head.dim]);
  }

  /**
   * The forward pass for training: log π(a|s), H[π(·|s)] and V(s) of `obs` and `actions` (backend-tfjs
   * `MlpPolicy.evaluate`), keeping what the next {@link backward} needs.
   */
  async forward(obs: Float32Array, actions: Int32Array | Float32Array): Promise<MlpEvaluation> {
    const x = this.checkObs(obs);
    const B = x.dims[0];
    const a = this.actionFeed(actions, B);
    const result = await this.trainForward.run({
      ...this.feedsFor(this.trainForward),
      obs: x,
      [mlpActionInput(this.architecture)]: a,
    });
    const saved: Record<string, ort.Tensor> = { obs: x, entropy: result.entropy };
    if (this.architecture.action.type === "categorical") saved[mlpActionInput(this.architecture)] = a;
    for (const s of this.names.saved) saved[s.name] = result[s.name];
    this.saved = saved;
    this.savedRows = B;
    return {
      logprob: result.logprob.data as Float32Array,
      entropy: result.entropy.data as Float32Array,
      values: this.architecture.valueHead ? (result.value.data as Float32Array) : undefined,
    };
  }

  /**
   * Every weight's gradient (a Gaussian log σ included) from ∂L/∂log π, ∂L/∂H and, with a value head,
   * ∂L/∂V at the last {@link forward}'s batch, [B] each.
   */
  async backward(gradients: MlpEvaluationGradients): Promise<Map<string, Float32Array>> {
    this.assertLive();
    if (!this.saved) throw new StateError("OnnxTrainableMlp.backward: call forward() first");
    const B = this.savedRows;
    const feeds: Record<string, ort.Tensor> = { ...this.feedsFor(this.backwardSession), ...this.saved };
    const column = (field: string, data: Float32Array | undefined) => {
      if (!data || data.length !== B)
        throw new ShapeError(`gradients.${field}`, `${B} values`, `${data?.length}`);
      return floatTensor(data, [B]);
    };
    feeds.d_logprob = column("logprob", gradients.logprob);
    feeds.d_entropy = column("entropy", gradients.entropy);
    if (this.architecture.valueHead) feeds.d_value = column("values", gradients.values);
    // Only the inputs this head's graph declares (a Gaussian backward takes no entropy or actions).
    const inputs = this.backwardSession.inputNames;
    const result = await this.backwardSession.run(Object.fromEntries(inputs.map((n) => [n, feeds[n]])));
    const grads = new Map<string, Float32Array>();
    for (const name of this.parameters.keys()) {
      const g = result[gradientName(name)];
      if (g) grads.set(name, g.data as Float32Array);
    }
    return grads;
  }

  /** A copy of every weight (the core `Weights` map). */
  getWeights(): Map<string, NamedTensor> {
    this.assertLive();
    return new Map([...this.parameters].map(([k, p]) => [k, { shape: [...p.shape], data: p.data.slice() }]));
  }

  /** Overwrites every weight in place (names and shapes checked). */
  setWeights(weights: Weights): void {
    this.assertLive();
    const checked = checkWeights("weights", weights, mlpWeightShapes(this.architecture));
    for (const [name, p] of this.parameters) p.data.set(checked.get(name)!.data);
  }

  private assertLive(): void {
    if (this.disposed) throw new StateError("OnnxTrainableMlp: used after dispose()");
  }

  /** Releases the sessions. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.saved = undefined;
    await Promise.all([
      this.inference.release(),
      this.trainForward.release(),
      this.backwardSession.release(),
    ]);
  }
}
