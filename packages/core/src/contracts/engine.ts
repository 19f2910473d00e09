import type { Rng } from "../rng.js";
import { token } from "../token.js";

/** Something that holds native memory, sessions or tensors and frees them in `dispose()`. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/** A named float32 array with its shape: the currency of weight sync and checkpoints. */
export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Model weights by parameter name. */
export type Weights = ReadonlyMap<string, NamedTensor>;

/** Which positions of which sequences to score. */
export interface ScoreRequest {
  /** Token ids, prompt followed by completion. */
  readonly sequences: readonly Int32Array[];
  /** Index of the first scored token of each sequence (usually the prompt length). */
  readonly start: readonly number[];
  /** Also return the entropy of each scored position's next-token distribution. Default false. */
  readonly entropy?: boolean;
  /**
   * Score under softmax(z/T), the distribution completions sampled at temperature T were drawn from
   * (TRL divides the logits by the sampling temperature before taking log-probs, grpo_trainer.py
   * `logits / self.temperature`). Must be > 0. Default 1.
   */
  readonly temperature?: number;
}

/** Per-token log-probabilities (and optionally entropies) of the scored positions. */
export interface ScoreResult {
  /** `logprobs[i][k]` = log p(sequences[i][start[i] + k] | sequences[i][< start[i] + k]). */
  readonly logprobs: readonly Float32Array[];
  /** Entropy of the next-token distribution at the same positions, when asked for. */
  readonly entropy?: readonly Float32Array[];
}

/** Sampling settings for {@link SequenceSampler.generate}. */
export interface GenerateRequest {
  readonly prompts: readonly Int32Array[];
  readonly maxNewTokens: number;
  /** Softmax temperature; 0 means greedy. Default 1. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens; 0 keeps all. Default 0. */
  readonly topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p. Default 1. */
  readonly topP?: number;
  /** Generation of a sequence stops after it emits one of these. */
  readonly stopTokens?: readonly number[];
  /** The seeded generator every random draw comes from. */
  readonly rng: Rng;
}

/** What {@link SequenceSampler.generate} produced for each prompt. */
export interface GenerateResult {
  /** Sampled completion tokens (the stop token included when one was emitted). */
  readonly completions: readonly Int32Array[];
  /**
   * log p of each sampled token under softmax(z/T), the temperature-scaled distribution before top-k and
   * top-p truncation (vLLM's `processed_logprobs` without the truncation, as TRL asks for): the value
   * `score({ ..., temperature: T })` returns for the same tokens. Greedy decoding (T = 0) reports the
   * plain softmax. With top-k = 0 and top-p = 1 this is the log-prob of the distribution the token was
   * drawn from, so a trainer may use it as log π_old without scoring again.
   */
  readonly logprobs: readonly Float32Array[];
  /** Whether each completion ended with a stop token (false: cut at `maxNewTokens`). */
  readonly stopped: readonly boolean[];
}

/** Capability: log-probabilities of given token sequences (both engines; the reference policy). */
export interface SequenceScorer extends Disposable {
  score(request: ScoreRequest): Promise<ScoreResult>;
}

/** Capability: sample completions (both engines; the rollout engine). */
export interface SequenceSampler extends Disposable {
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

/** Capability: accept new weights without rebuilding (weight sync after each optimiser step). */
export interface WeightReceiver {
  setWeights(weights: Weights): void | Promise<void>;
}

/** Result of one optimiser step. */
export interface TrainStepResult {
  /** The loss before the step. */
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
}

/**
 * Capability: a policy with gradients (the tfjs engine only; onnxruntime cannot differentiate).
 * `T` is the engine's tensor type.
 */
export interface TrainablePolicy<T = unknown> extends Disposable {
  /** Runs `loss` under the engine's gradient tape and applies one optimiser step. */
  trainStep(loss: () => T): TrainStepResult;
  /** A copy of the current weights, to sync an inference engine or save a checkpoint. */
  getWeights(): Weights;
}

/** A tensor engine as chosen by the registry's `engine` kind. */
export interface Engine extends Disposable {
  /** The registry name, e.g. `"tfjs"` or `"onnx"`. */
  readonly name: string;
  /** What actually runs the maths, e.g. `"wasm"` or `"tensorflow-node-gpu"`. */
  readonly device: string;
  /**
   * Finishes an asynchronous start (loading a backend, opening sessions). Engines built by a registry
   * factory, which is synchronous, may need it before `device` or any model works; call it once and
   * await it. Absent when the engine is ready on construction.
   */
  ready?(): Promise<unknown>;
}

/**
 * A policy for rollouts and reference scoring, built by an engine from a model description and
 * weights: it samples, scores and takes new weights after each optimiser step (the role vLLM plays
 * beside FSDP in verl and OpenRLHF). Each engine plugin that can serve language models builds one.
 */
export interface InferencePolicy extends SequenceSampler, SequenceScorer, WeightReceiver {
  /** The weights it samples with (a lagging off-policy sampler is checkpointed from them). */
  getWeights(): Weights | Promise<Weights>;
}

/** Which language model to build: an architecture name and its shape, e.g. `{ architecture: "gpt", config }`. */
export interface LanguageModelSpec {
  /** The architecture, e.g. `"gpt"` (rlts's GPT-2-style model, `GptConfig`). */
  readonly architecture: string;
  /** The architecture's shape options. */
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * Capability of an engine plugin: building {@link InferencePolicy} instances. A trainer picks the
 * rollout engine by name from the registry and asks it for one; an architecture the engine does not
 * serve is a `ConfigError` naming it.
 */
export interface InferenceEngine extends Engine {
  createInferencePolicy(model: LanguageModelSpec, weights: Weights): Promise<InferencePolicy>;
}

/** Whether `engine` can build inference policies (implements {@link InferenceEngine}). */
export function isInferenceEngine(engine: unknown): engine is InferenceEngine {
  return typeof (engine as Partial<InferenceEngine> | null)?.createInferencePolicy === "function";
}

/** Injection token for the training {@link Engine}. */
export const Engine = token<Engine>("@rlts/core/Engine");
/** Injection token for the rollout {@link SequenceSampler}. */
export const SequenceSampler = token<SequenceSampler>("@rlts/core/SequenceSampler");
/** Injection token for the frozen reference {@link SequenceScorer}. */
export const SequenceScorer = token<SequenceScorer>("@rlts/core/SequenceScorer");
