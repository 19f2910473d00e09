import type { Weights } from "@rlts/core";

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
