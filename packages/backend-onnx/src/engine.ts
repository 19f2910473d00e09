import {
  ConfigError,
  type InferenceEngine,
  type InferencePolicy,
  type LanguageModelSpec,
  StateError,
  type Weights,
} from "@rlts/core";
import type { GptConfig, MlpArchitecture } from "@rlts/lm";
import { type GptModelFiles, OnnxGpt } from "./onnx-gpt.js";
import { OnnxMlpPolicy } from "./onnx-mlp-policy.js";
import { type SessionOptions, sessionDefaults } from "./session.js";

/** Options of {@link OnnxEngine} (the `onnx` engine plugin). */
export type OnnxEngineOptions = SessionOptions;

/** Defaults of {@link OnnxEngineOptions}. */
export const onnxEngineDefaults = sessionDefaults;

/**
 * The onnxruntime-node inference engine: opens GPT and MLP models with its session settings and
 * releases every session it opened on {@link dispose}. It cannot train (no gradients in onnxruntime).
 */
export class OnnxEngine implements InferenceEngine {
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
