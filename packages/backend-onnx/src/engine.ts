import {
  ConfigError,
  type InferenceEngine,
  type InferencePolicy,
  type LanguageModelSpec,
  StateError,
  type Weights,
} from "@rlts/core";
import type { GptConfig, MlpArchitecture, MlpTrainingEngine } from "@rlts/lm";
import { type GptModelFiles, OnnxGpt } from "./onnx-gpt.js";
import { OnnxMlpPolicy } from "./onnx-mlp-policy.js";
import { OnnxTrainableMlp } from "./onnx-trainable-mlp.js";
import { type SessionOptions, sessionDefaults } from "./session.js";

/** Options of {@link OnnxEngine} (the `onnx` engine plugin). */
export type OnnxEngineOptions = SessionOptions;

/** Defaults of {@link OnnxEngineOptions}. */
export const onnxEngineDefaults = sessionDefaults;

/**
 * The onnxruntime-node engine: opens GPT and MLP models with its session settings and releases every
 * session it opened on {@link dispose}. onnxruntime has no gradients; MLPs still train here through a
 * hand-written backward graph ({@link createTrainableMlp}), with the loss and the optimiser outside.
 */
export class OnnxEngine implements InferenceEngine, MlpTrainingEngine {
  /** The registry name. */
  readonly name = "onnx";
  /** onnxruntime-node runs on the CPU execution provider. */
  readonly device = "onnxruntime-cpu";
  private readonly owned = new Set<{ dispose(): Promise<void> }>();
  private disposed = false;

  constructor(private readonly options: OnnxEngineOptions = {}) {}

  /** A GPT from backend-tfjs weights, exported in memory. */
  async createGpt(config: GptConfig, weights: Weights): Promise<OnnxGpt> {
    return this.own(await OnnxGpt.create(config, weights, this.options));
  }

  /**
   * An inference policy for rollouts and reference scoring (the `InferenceEngine` capability): a GPT
   * (`architecture: "gpt"`) exported in memory with a KV cache, fed `weights`.
   */
  async createInferencePolicy(model: LanguageModelSpec, weights: Weights): Promise<InferencePolicy> {
    if (model.architecture !== "gpt") {
      throw new ConfigError("model.architecture", model.architecture, 'the onnx engine serves "gpt" models');
    }
    return this.createGpt(model.config as unknown as GptConfig, weights);
  }

  /** A GPT from the two exported files. */
  async loadGpt(files: GptModelFiles): Promise<OnnxGpt> {
    return this.own(await OnnxGpt.fromFiles(files, this.options));
  }

  /** An MLP policy from backend-tfjs weights, exported in memory. */
  async createMlpPolicy(architecture: MlpArchitecture, weights: Weights): Promise<OnnxMlpPolicy> {
    return this.own(await OnnxMlpPolicy.create(architecture, weights, this.options));
  }

  /**
   * An MLP to train on onnxruntime (the `createTrainableMlp` capability environment trainers look
   * for): forward and backward graphs over a copy of `weights`, see {@link OnnxTrainableMlp}. It runs on
   * one thread unless the engine sets `intraOpNumThreads`: for 64-wide layers a second thread costs
   * more in synchronisation than it saves (measured: a 256-row forward and backward of a 4-64-64
   * actor-critic took 0.43 ms on one thread, 0.66 ms on two).
   */
  async createTrainableMlp(architecture: MlpArchitecture, weights: Weights): Promise<OnnxTrainableMlp> {
    const threads = this.options.intraOpNumThreads || 1;
    return this.own(await OnnxTrainableMlp.create(architecture, weights, { intraOpNumThreads: threads }));
  }

  private own<T extends { dispose(): Promise<void> }>(model: T): T {
    if (this.disposed) {
      void model.dispose();
      throw new StateError("onnx engine: used after dispose()");
    }
    this.owned.add(model);
    return model;
  }

  /** Releases every session this engine opened. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.owned].map((m) => m.dispose()));
    this.owned.clear();
  }
}
