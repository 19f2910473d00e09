import { assertInteger, assertOneOf, ConfigError, type PluginSpec } from "@rlts/core";

/** Options of {@link OnPolicyTrainer}. Defaults follow CleanRL `ppo.py` on CartPole-v1. */
export interface OnPolicyOptions {
  /** Environment id (an `env` plugin), or `{ name, ...makeEnv options }`. Default `CartPole-v1`. */
  readonly env?: PluginSpec;
  /**
   * Environment of the greedy evaluation; default: `env`. Give it separately when training wrappers
   * change the rewards (e.g. `normalizeReward`), so evaluation returns stay in the task's units.
   */
  readonly evalEnv?: PluginSpec;
  /** Initial log σ of a Gaussian action head (Box action spaces). Default 0. */
  readonly initLogStd?: number;
  /** Parallel environments. Default 4. */
  readonly numEnvs?: number;
  /** Steps per environment per update (`steps` rollouts). Default 128. */
  readonly numSteps?: number;
  /** Environment-step budget. Default 100 000. */
  readonly totalSteps?: number;
  /** Advantage estimator by name, with options. Default `{ name: "gae", gamma: 0.99, lambda: 0.95 }`. */
  readonly advantage?: PluginSpec;
  /** Objective by name, with options. Default `ppo`. */
  readonly objective?: PluginSpec;
  /** Passes over each batch. Default 4. */
  readonly epochs?: number;
  /** Minibatches per epoch. Default 4. */
  readonly minibatches?: number;
  /**
   * `steps` (default): `numEnvs × numSteps` transitions per update. `groups`: GRPO on environments,
   * `numGroups` groups of `groupSize` whole episodes, each group from one seeded start state.
   */
  readonly rollout?: "steps" | "groups";
  /** `groups` rollouts: groups per update. Default 4. */
  readonly numGroups?: number;
  /** `groups` rollouts: episodes per group (G). Default 8. */
  readonly groupSize?: number;
  /** Hidden widths of the MLP policy and value trunks. Default [64, 64]. */
  readonly hidden?: readonly number[];
  /**
   * Learning rate of the optimiser. Default 2.5e-4 (CleanRL `ppo.py`). For an objective with its own
   * policy step (TRPO) the optimiser only fits the value function, and the default is sb3-contrib's and
   * Spinning Up's critic lr, 1e-3.
   */
  readonly lr?: number;
  /**
   * Anneal the learning rate linearly to 0 over the optimiser steps of the run (CleanRL; `steps`
   * rollouts only): updates × epochs × minibatches steps, or updates × valueEpochs × minibatches value
   * fits for an objective with its own policy step. Default true, but false for an objective with its
   * own policy step (sb3-contrib TRPO keeps the critic lr constant).
   */
  readonly annealLr?: boolean;
  /** Global gradient-norm clip. Default 0.5. */
  readonly maxGradNorm?: number;
  /** Value-function epochs per update for objectives with their own policy step (TRPO). Default 10. */
  readonly valueEpochs?: number;
  /** Seed of the policy init, the action sampling, minibatch order and the environments. Default 1. */
  readonly seed?: number;
  /** Greedy evaluation episodes. Default 20. */
  readonly evalEpisodes?: number;
  /** Evaluate every this many env steps (0: only at the end). Default 0. */
  readonly evalEvery?: number;
  /** Stop once a greedy evaluation reaches this mean return. Default: never. */
  readonly stopAtReturn?: number;
  /** tfjs backend: `auto` (tfjs-node-gpu → tfjs-node → wasm → cpu), `wasm` or `cpu`. Default `auto`. */
  readonly engine?: "auto" | "wasm" | "cpu";
  /**
   * The engine plugin the MLP acts and trains on, by name (`{ name, ...options }` too): one with the
   * `createTrainableMlp` capability, e.g. `onnx` (onnxruntime forward and backward graphs, the
   * objective's loss still in tfjs, AdamW in JS), or `false` to train the tfjs `MlpPolicy` itself.
   * Default `onnx`, and `false` for objectives with their own trust-region step (TRPO needs the tfjs
   * policy's Fisher-vector products).
   */
  readonly mlpEngine?: PluginSpec | false;
}

/** {@link OnPolicyOptions} with every default filled in. */
export interface ResolvedOnPolicyOptions {
  readonly env: PluginSpec;
  readonly evalEnv: PluginSpec | undefined;
  readonly initLogStd: number;
  readonly numEnvs: number;
  readonly numSteps: number;
  readonly totalSteps: number;
  readonly advantage: PluginSpec;
  readonly objective: PluginSpec;
  readonly epochs: number;
  readonly minibatches: number;
  readonly rollout: "steps" | "groups";
  readonly numGroups: number;
  readonly groupSize: number;
  readonly hidden: readonly number[];
  /** `undefined` until the objective is known: see {@link resolveLearningRate}. */
  readonly lr: number | undefined;
  /** `undefined` until the objective is known: see {@link resolveLearningRate}. */
  readonly annealLr: boolean | undefined;
  readonly maxGradNorm: number;
  readonly valueEpochs: number;
  readonly seed: number;
  readonly evalEpisodes: number;
  readonly evalEvery: number;
  readonly stopAtReturn: number | undefined;
  readonly engine: "auto" | "wasm" | "cpu";
  /** `undefined` until the objective is known: see {@link resolveMlpEngine}. */
  readonly mlpEngine: PluginSpec | false | undefined;
}

/** The documented defaults of {@link OnPolicyOptions}. */
export const onPolicyDefaults: ResolvedOnPolicyOptions = {
  env: "CartPole-v1",
  evalEnv: undefined,
  initLogStd: 0,
  numEnvs: 4,
  numSteps: 128,
  totalSteps: 100_000,
  advantage: { name: "gae", gamma: 0.99, lambda: 0.95 },
  objective: "ppo",
  epochs: 4,
  minibatches: 4,
  rollout: "steps",
  numGroups: 4,
  groupSize: 8,
  hidden: [64, 64],
  lr: undefined,
  annealLr: undefined,
  maxGradNorm: 0.5,
  valueEpochs: 10,
  seed: 1,
  evalEpisodes: 20,
  evalEvery: 0,
  stopAtReturn: undefined,
  engine: "auto",
  mlpEngine: undefined,
};

function positiveNumber(field: string, value: unknown, allowZero = false): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(field, value, `use a finite number ${allowZero ? "≥" : ">"} 0`);
  }
}

/** Fills in defaults and validates; errors name `trainer.<option>`. */
export function resolveOnPolicyOptions(options: OnPolicyOptions = {}): ResolvedOnPolicyOptions {
  for (const key of Object.keys(options)) {
    if (!(key in onPolicyDefaults)) {
      throw new ConfigError(
        `trainer.${key}`,
        (options as Record<string, unknown>)[key],
        `unknown option; use one of ${Object.keys(onPolicyDefaults).join(", ")}`,
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: ResolvedOnPolicyOptions = { ...onPolicyDefaults, ...defined };
  if (typeof o.initLogStd !== "number" || !Number.isFinite(o.initLogStd)) {
    throw new ConfigError("trainer.initLogStd", o.initLogStd, "use a finite number, e.g. -0.5");
  }
  assertInteger("trainer.numEnvs", o.numEnvs, 1);
  assertInteger("trainer.numSteps", o.numSteps, 1);
  assertInteger("trainer.totalSteps", o.totalSteps, 1);
  assertInteger("trainer.epochs", o.epochs, 1);
  assertInteger("trainer.minibatches", o.minibatches, 1);
  assertOneOf("trainer.rollout", o.rollout, ["steps", "groups"] as const);
  assertInteger("trainer.numGroups", o.numGroups, 1);
  assertInteger("trainer.groupSize", o.groupSize, 1);
  if (!Array.isArray(o.hidden) || o.hidden.length === 0) {
    throw new ConfigError("trainer.hidden", o.hidden, "use an array of layer widths, e.g. [64, 64]");
  }
  if (o.lr !== undefined) positiveNumber("trainer.lr", o.lr);
  if (o.annealLr !== undefined && typeof o.annealLr !== "boolean") {
    throw new ConfigError("trainer.annealLr", o.annealLr, "use true or false");
  }
  positiveNumber("trainer.maxGradNorm", o.maxGradNorm, true);
  assertInteger("trainer.valueEpochs", o.valueEpochs, 0);
  assertInteger("trainer.seed", o.seed, 0);
  assertInteger("trainer.evalEpisodes", o.evalEpisodes, 1);
  assertInteger("trainer.evalEvery", o.evalEvery, 0);
  if (o.stopAtReturn !== undefined && !Number.isFinite(o.stopAtReturn)) {
    throw new ConfigError("trainer.stopAtReturn", o.stopAtReturn, "use a finite number or leave it unset");
  }
  assertOneOf("trainer.engine", o.engine, ["auto", "wasm", "cpu"] as const);
  const m = o.mlpEngine;
  const named = typeof m === "string" || (m !== null && typeof m === "object" && typeof m.name === "string");
  if (m !== undefined && m !== false && !named) {
    throw new ConfigError(
      "trainer.mlpEngine",
      m,
      'use an engine name such as "onnx", { name, ...options }, or false',
    );
  }
  if (o.rollout === "steps" && o.numEnvs * o.numSteps < o.minibatches) {
    throw new ConfigError(
      "trainer.minibatches",
      o.minibatches,
      `use at most numEnvs·numSteps = ${o.numEnvs * o.numSteps}`,
    );
  }
  return o;
}

/**
 * The optimiser's learning rate and whether it anneals, once the objective is known: what the options
 * say, else CleanRL's PPO defaults (2.5e-4, annealed) for objectives stepped by the optimiser, and
 * sb3-contrib's TRPO critic defaults (1e-3, constant) for objectives with their own policy step, whose
 * optimiser only fits the value function.
 */
export function resolveLearningRate(
  options: Pick<ResolvedOnPolicyOptions, "lr" | "annealLr">,
  ownPolicyStep: boolean,
): { readonly lr: number; readonly annealLr: boolean } {
  return {
    lr: options.lr ?? (ownPolicyStep ? 1e-3 : 2.5e-4),
    annealLr: options.annealLr ?? !ownPolicyStep,
  };
}

/**
 * The engine the MLP acts and trains on, once the objective is known: what the options say, else
 * `onnx` for objectives stepped by the optimiser and `false` (the tfjs policy itself) for objectives
 * with their own trust-region step, which needs the tfjs policy's Fisher-vector products. An engine
 * named for such an objective is a `ConfigError`.
 */
export function resolveMlpEngine(
  options: Pick<ResolvedOnPolicyOptions, "mlpEngine">,
  ownPolicyStep: boolean,
): PluginSpec | false {
  if (!ownPolicyStep) return options.mlpEngine ?? "onnx";
  if (options.mlpEngine !== undefined && options.mlpEngine !== false) {
    throw new ConfigError(
      "trainer.mlpEngine",
      options.mlpEngine,
      "an objective with its own trust-region step trains the tfjs policy (Fisher-vector products); use false",
    );
  }
  return false;
}
