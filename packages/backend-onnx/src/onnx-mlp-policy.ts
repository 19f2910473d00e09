import { ConfigError, type Rng, ShapeError, StateError, type WeightReceiver, type Weights } from "@rlts/core";
import { type MlpArchitecture, sampleActions } from "@rlts/lm";
import type * as ort from "onnxruntime-node";
import { checkWeights } from "./gpt-export.js";
import { checkMlpArchitecture, exportMlpPolicy, MLP_CONFIG_KEY, mlpWeightShapes } from "./mlp-export.js";
import { extractStoredWeights, OnnxModelFileError, readOnnxModelFile } from "./model-file.js";
import { createSession, floatTensor, type SessionOptions } from "./session.js";

/** Raw outputs of {@link OnnxMlpPolicy.forward}. */
export interface MlpForward {
  /** Categorical logits or Gaussian means, row-major [B, n]. */
  readonly out: Float32Array;
  /** Gaussian log σ [dim]. */
  readonly logStd?: Float32Array;
  /** V(s) [B], with a value head. */
  readonly values?: Float32Array;
}

/** What {@link OnnxMlpPolicy.act} returns (backend-tfjs `ActResult`). */
export interface OnnxActResult {
  readonly actions: Int32Array | Float32Array;
  readonly logprobs: Float64Array;
  readonly values?: Float64Array;
}

/**
 * A backend-tfjs MLP policy on onnxruntime (inference only): {@link forward} gives the head output and
 * values, {@link act} samples actions exactly as backend-tfjs `MlpPolicy.act` does from the same Rng.
 */
export class OnnxMlpPolicy implements WeightReceiver {
  private feeds: Record<string, ort.Tensor> = {};
  private disposed = false;
  private readonly shapes: [string, number[]][];

  private constructor(
    /** The architecture. */
    readonly architecture: MlpArchitecture,
    private readonly session: ort.InferenceSession,
  ) {
    this.shapes = mlpWeightShapes(architecture);
  }

  /** Exports the architecture in memory and opens it with `weights` (`policy.getWeights()`). */
  static async create(
    architecture: MlpArchitecture,
    weights: Weights,
    options: SessionOptions = {},
  ): Promise<OnnxMlpPolicy> {
    checkMlpArchitecture(architecture);
    checkWeights("weights", weights, mlpWeightShapes(architecture));
    const session = await createSession("<exportMlpPolicy>", exportMlpPolicy(architecture), options);
    const policy = new OnnxMlpPolicy(architecture, session);
    policy.setWeights(weights);
    return policy;
  }

  /**
   * Opens a file written from {@link exportMlpPolicy}; its stored weights (if any) are the first feeds,
   * otherwise call {@link setWeights} first. Broken files throw `OnnxModelFileError` naming the file.
   */
  static async fromFile(path: string, options: SessionOptions = {}): Promise<OnnxMlpPolicy> {
    const file = readOnnxModelFile(path, { minOpset: 17 });
    const json = file.metadata[MLP_CONFIG_KEY];
    if (!json) {
      throw new OnnxModelFileError(
        path,
        `no "${MLP_CONFIG_KEY}" metadata: not an MLP policy from exportMlpPolicy`,
      );
    }
    const architecture = checkMlpArchitecture(JSON.parse(json) as MlpArchitecture);
    const names = mlpWeightShapes(architecture).map(([n]) => n);
    const { bytes, weights } = extractStoredWeights(file, names);
    const policy = new OnnxMlpPolicy(architecture, await createSession(path, bytes, options));
    if (weights.size > 0) policy.setWeights(weights);
    return policy;
  }

  /** Replaces the weights (copied; names and shapes checked). */
  setWeights(weights: Weights): void {
    this.assertLive();
    const checked = checkWeights("weights", weights, this.shapes);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, shape] of this.shapes)
      feeds[name] = floatTensor(checked.get(name)!.data.slice(), shape);
    this.feeds = feeds;
  }

  /** Head output and values for observations, row-major [B·obsDim]. */
  async forward(obs: Float32Array): Promise<MlpForward> {
    this.assertLive();
    const d = this.architecture.obsDim;
    if (!(obs instanceof Float32Array) || obs.length === 0 || obs.length % d !== 0) {
      throw new ShapeError("obs", `a Float32Array of a multiple of obsDim = ${d} values`, `${obs?.length}`);
    }
    for (let i = 0; i < obs.length; i++) {
      if (!Number.isFinite(obs[i]))
        throw new ConfigError(`obs[${i}]`, obs[i], "observations must be finite numbers");
    }
    if (Object.keys(this.feeds).length === 0) {
      throw new StateError(
        "OnnxMlpPolicy: the file holds no weights; call setWeights(policy.getWeights()) first",
      );
    }
    const result = await this.session.run({ ...this.feeds, obs: floatTensor(obs, [obs.length / d, d]) });
    const gaussian = this.architecture.action.type === "gaussian";
    return {
      out: (gaussian ? result.mean : result.logits).data as Float32Array,
      logStd: gaussian ? (result.log_std.data as Float32Array) : undefined,
      values: this.architecture.valueHead ? (result.value.data as Float32Array) : undefined,
    };
  }

  /**
   * Samples (or with `greedy` takes the mode of) actions, drawing from `rng` in backend-tfjs
   * `MlpPolicy.act`'s order: categorical by inverse CDF of the softmax with one `rng.next()` per row,
   * Gaussian μ + σ·`rng.normal()` per dimension, row-major.
   */
  async act(
    obs: Float32Array,
    rng: Rng,
    options: { readonly greedy?: boolean } = {},
  ): Promise<OnnxActResult> {
    const { out, logStd, values } = await this.forward(obs);
    const head = this.architecture.action;
    const valuesOut = values ? Float64Array.from(values) : undefined;
    const { actions, logprobs } = sampleActions(head, out, logStd, rng, options.greedy);
    return { actions, logprobs, values: valuesOut };
  }

  private assertLive(): void {
    if (this.disposed) throw new StateError("OnnxMlpPolicy: used after dispose()");
  }

  /** Releases the onnxruntime session. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.feeds = {};
    await this.session.release();
  }
}
