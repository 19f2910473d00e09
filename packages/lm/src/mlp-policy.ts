import type { Rng, Weights } from "@rlts/core";

/** The action distribution of an MLP policy. */
export type ActionHead =
  | { readonly type: "categorical"; readonly n: number }
  | {
      readonly type: "gaussian";
      readonly dim: number;
      /** Initial value of the state-independent log σ. Default 0. */
      readonly initLogStd?: number;
    };

/**
 * The architecture of an MLP actor(-critic) policy with every field filled in: what an engine needs
 * to run one (backend-tfjs `MlpPolicy.options` without the init seed; backend-onnx exports it).
 */
export interface MlpArchitecture {
  /** Length of one observation vector. */
  readonly obsDim: number;
  /** Categorical over `n` actions or a diagonal Gaussian over `dim` dimensions. */
  readonly action: ActionHead;
  /** Hidden layer widths of each trunk. */
  readonly hidden: readonly number[];
  /** Hidden activation. */
  readonly activation: "tanh" | "relu";
  /** Whether the policy has a value head V(s). */
  readonly valueHead: boolean;
  /** One trunk feeds both heads (true) or the value head has its own (false). */
  readonly sharedTrunk: boolean;
}

/**
 * What exporting an MLP policy reads from a live one: its architecture (`options`) and its weights
 * (README of backend-tfjs, "MLP weights"). backend-tfjs `MlpPolicy` is one.
 */
export interface MlpPolicyLike {
  /** The architecture; extra fields (e.g. the init seed) are ignored. */
  readonly options: MlpArchitecture;
  /** A copy of the current weights. */
  getWeights(): Weights;
}

/** Head outputs and values of an MLP policy for a batch of observations, row-major. */
export interface MlpOutputs {
  /** Categorical logits or Gaussian means, [B, n]. */
  readonly out: Float32Array;
  /** Gaussian log σ [dim]. */
  readonly logStd?: Float32Array;
  /** V(s) [B], with a value head. */
  readonly values?: Float32Array;
}

/** Actions an MLP policy chose for a batch, with log π of each and V(s). */
export interface MlpActions {
  /** Int32Array [B] (categorical) or Float32Array [B·dim] (Gaussian, row-major). */
  readonly actions: Int32Array | Float32Array;
  readonly logprobs: Float64Array;
  readonly values?: Float64Array;
}

/** log π(a|s), the entropy of π(·|s) and V(s) of a batch of (observation, action) pairs, [B] each. */
export interface MlpEvaluation {
  readonly logprob: Float32Array;
  readonly entropy: Float32Array;
  /** With a value head. */
  readonly values?: Float32Array;
}

/** ∂L/∂log π, ∂L/∂H and ∂L/∂V of a loss over an {@link MlpEvaluation}, [B] each. */
export interface MlpEvaluationGradients {
  readonly logprob: Float32Array;
  readonly entropy: Float32Array;
  /** Required with a value head. */
  readonly values?: Float32Array;
}

/**
 * Capability: an MLP policy whose forward and backward passes run outside any tensor tape, on flat
 * float32 arrays (onnxruntime cannot differentiate, so its backward is a graph of its own). A trainer
 * builds the loss over {@link forward}'s log-probs, entropies and values with whatever tensor library
 * it likes, hands the gradient with respect to them to {@link backward}, and updates
 * {@link parameters} in place. The formulas are backend-tfjs `MlpPolicy.evaluate`'s.
 */
export interface DifferentiableMlp {
  /** The architecture. */
  readonly architecture: MlpArchitecture;
  /** The live weights by name (backend-tfjs names); an optimiser updates their `data` in place. */
  readonly parameters: ReadonlyMap<
    string,
    { readonly shape: readonly number[]; readonly data: Float32Array }
  >;
  /** Samples (or with `greedy` takes the mode of) actions with `sampleActions`, plus V(s). */
  act(obs: Float32Array, rng: Rng, options?: { readonly greedy?: boolean }): Promise<MlpActions>;
  /** Head outputs and values (nothing kept for a backward). */
  predict(obs: Float32Array): Promise<MlpOutputs>;
  /**
   * log π(a|s), H and V(s) of `obs` [B·obsDim] and `actions` (ids [B] or [B·dim]), keeping what the
   * next {@link backward} needs.
   */
  forward(obs: Float32Array, actions: Int32Array | Float32Array): Promise<MlpEvaluation>;
  /** Every weight's gradient at the last {@link forward}'s batch. */
  backward(gradients: MlpEvaluationGradients): Promise<Map<string, Float32Array>>;
  /** A copy of the weights. */
  getWeights(): Weights;
  /** Overwrites the weights. */
  setWeights(weights: Weights): void;
  /** Frees the engine's resources. */
  dispose(): void | Promise<void>;
}

/** Capability of an engine plugin: building {@link DifferentiableMlp}s from an architecture and weights. */
export interface MlpTrainingEngine {
  createTrainableMlp(architecture: MlpArchitecture, weights: Weights): Promise<DifferentiableMlp>;
}

/** Whether `engine` can build trainable MLPs (has `createTrainableMlp`), by its methods, never its name. */
export function isMlpTrainingEngine(engine: unknown): engine is MlpTrainingEngine {
  return typeof (engine as Partial<MlpTrainingEngine> | null)?.createTrainableMlp === "function";
}
