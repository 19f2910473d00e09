import {
  type AdvantageEstimator,
  type AdvantageResult,
  assertLength,
  type Batch,
  type BatchField,
  type PluginOptions,
} from "@rlts/core";
import {
  checkBatch,
  checkFiniteArray,
  checkFlags,
  finiteAt,
  rejectAbstained,
  toFloat64,
} from "./batch-checks.js";
import { checkBootstrapInput, type TruncationMode, truncationModes } from "./episode-ends.js";
import {
  checkBoolean,
  checkNonNegative,
  checkOneOf,
  checkUnit,
  rejectUnknownOptions,
  type StdKind,
  stdKinds,
  withDefaults,
} from "./options.js";
import { normalizeInPlace } from "./stats.js";

/** Options of {@link GaeEstimator} and {@link computeGae}. */
export interface GaeOptions {
  /** Discount γ. Default 0.99 (CleanRL, SB3). */
  readonly gamma: number;
  /** Trace decay λ: 1 gives bootstrapped Monte-Carlo returns minus V, 0 the one-step TD error. Default 0.95. */
  readonly lambda: number;
  /**
   * `"bootstrap"` (default, SB3): a truncated step bootstraps from V(final observation) in
   * `truncationValues`. `"terminal"`: CleanRL `ppo.py` literally, which treats a truncated step as
   * terminal (biased at and before the truncation; offered to reproduce CleanRL runs).
   */
  readonly truncation: TruncationMode;
  /** Normalise the advantages over the whole batch after computing returns. Default false (PPO normalises per minibatch in its loss). */
  readonly normalize: boolean;
  /** Std used by `normalize`. Default `"population"` (Spinning Up's whole-buffer normalisation). */
  readonly normalizeStd: StdKind;
  /** ε added to the std by `normalize`. Default 0 (Spinning Up); CleanRL/SB3 use 1e-8. */
  readonly normalizeEpsilon: number;
}

/** Defaults of {@link GaeOptions}. */
export const gaeDefaults: GaeOptions = {
  gamma: 0.99,
  lambda: 0.95,
  truncation: "bootstrap",
  normalize: false,
  normalizeStd: "population",
  normalizeEpsilon: 0,
};

/** Validates GAE options (unknown keys included) and fills in defaults. */
export function resolveGaeOptions(options: Partial<GaeOptions> | PluginOptions = {}): GaeOptions {
  rejectUnknownOptions(options, Object.keys(gaeDefaults));
  const o = withDefaults(gaeDefaults, options);
  return {
    gamma: checkUnit("gamma", o.gamma),
    lambda: checkUnit("lambda", o.lambda),
    truncation: checkOneOf("truncation", o.truncation, truncationModes),
    normalize: checkBoolean("normalize", o.normalize),
    normalizeStd: checkOneOf("normalizeStd", o.normalizeStd, stdKinds),
    normalizeEpsilon: checkNonNegative("normalizeEpsilon", o.normalizeEpsilon),
  };
}

/** One env's rollout for {@link computeGae}; every array has the same length T. */
export interface GaeInput {
  /** r_t. */
  readonly rewards: ArrayLike<number>;
  /** V(s_t). */
  readonly values: ArrayLike<number>;
  /** 1 (or `true`) where the step reached a terminal state (no bootstrap). */
  readonly terminated: ArrayLike<number | boolean>;
  /** 1 (or `true`) where a time limit cut the episode (bootstrap from `truncationValues[t]`). */
  readonly truncated: ArrayLike<number | boolean>;
  /** V(final observation before auto-reset), read only where `truncated[t]` and not `terminated[t]`. */
  readonly truncationValues?: ArrayLike<number>;
  /** V of the observation after the last step; ignored (may be left out) if the last step ended its episode. */
  readonly lastValue?: number;
}

/** Advantages and value targets, one per step. */
export interface GaeResult {
  /** Â_t. */
  readonly advantages: Float64Array;
  /** R_t = Â_t + V(s_t), computed before any normalisation (the value-function target). */
  readonly returns: Float64Array;
}

/** Rollout arrays for {@link gaeKernel}, step-major (index t·E + e). */
export interface GaeArrays {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly rewards: Float64Array;
  readonly values: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly truncationValues: Float64Array | undefined;
  readonly lastValues: Float64Array | undefined;
}

/**
 * GAE over a step-major rollout of E envs, walking t backwards with one running `lastGae` per env.
 * Inputs must already be checked for length and finiteness; bootstrap values are checked where read.
 */
export function gaeKernel(input: GaeArrays, options: GaeOptions): GaeResult {
  const { numSteps: T, numEnvs: E, rewards, values, terminated, truncated } = input;
  const truncationValues = input.truncationValues ?? emptyValues;
  const lastValues = input.lastValues ?? emptyValues;
  const { gamma, lambda } = options;
  const bootstrapTruncation = options.truncation === "bootstrap";
  const advantages = new Float64Array(T * E);
  const returns = new Float64Array(T * E);
  const lastGae = new Float64Array(E);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * E;
    for (let e = 0; e < E; e++) {
      const i = row + e;
      let nextNonTerminal = 1;
      let done = 0;
      // next_v_t: V(final obs) if truncated, V(s_T) at buffer end, else V(s_{t+1})  (SB3 `collect_rollouts`).
      let nextValue: number;
      if (terminated[i] !== 0) {
        // terminated wins over truncated: a terminal state has no future value to bootstrap.
        nextNonTerminal = 0;
        done = 1;
        nextValue = 0;
      } else if (truncated[i] !== 0) {
        done = 1;
        // "terminal" mode is CleanRL ppo.py: next_done = terminations | truncations.
        if (bootstrapTruncation) nextValue = finiteAt("truncationValues", truncationValues, i);
        else {
          nextNonTerminal = 0;
          nextValue = 0;
        }
      } else if (t === T - 1) nextValue = finiteAt("lastValues", lastValues, e);
      else nextValue = values[i + E];
      // δ_t = r_t + γ(1 − terminated_t)·next_v_t − V(s_t)  (Schulman et al. 2016, GAE §3; PPO eq. 12).
      const delta = rewards[i] + gamma * nextNonTerminal * nextValue - values[i];
      // A_t = δ_t + γλ(1 − done_t)·A_{t+1}, A_T := 0  (GAE paper eq. 16; SB3 compute_returns_and_advantage).
      const gae = delta + gamma * lambda * (1 - done) * lastGae[e];
      lastGae[e] = gae;
      advantages[i] = gae;
      // R_t = A_t + V(s_t)  (TD(λ) target; CleanRL ppo.py `returns = advantages + values`).
      returns[i] = gae + values[i];
    }
  }
  if (options.normalize) {
    normalizeInPlace(advantages, { std: options.normalizeStd, epsilon: options.normalizeEpsilon });
  }
  return { advantages, returns };
}

const emptyValues = new Float64Array(0);

/**
 * GAE(γ, λ) for one env's T steps, distinguishing `terminated` (no bootstrap) from `truncated`
 * (bootstrap from V(final observation)) as SB3 does; `terminated` wins when both are set.
 *
 * @example
 * computeGae({ rewards, values, terminated, truncated, truncationValues, lastValue }, { gamma: 0.99, lambda: 0.95 })
 */
export function computeGae(input: GaeInput, options: Partial<GaeOptions> = {}): GaeResult {
  const resolved = resolveGaeOptions(options);
  const T = input.rewards.length;
  checkFiniteArray("rewards", input.rewards, T, "rewards");
  checkFiniteArray("values", input.values, T, "values (one per reward)");
  const terminated = checkFlags("terminated", input.terminated, T, "flags (one per reward)");
  const truncated = checkFlags("truncated", input.truncated, T, "flags (one per reward)");
  if (T === 0) return { advantages: new Float64Array(0), returns: new Float64Array(0) };
  const lastValues = checkBootstrapInput(input, terminated, truncated, resolved.truncation, {
    truncation: " (or truncation: 'terminal' to treat time limits as terminal)",
    last: "",
  });
  return gaeKernel(
    {
      numSteps: T,
      numEnvs: 1,
      rewards: toFloat64(input.rewards),
      values: toFloat64(input.values),
      terminated,
      truncated,
      truncationValues: input.truncationValues && toFloat64(input.truncationValues),
      lastValues,
    },
    resolved,
  );
}

/**
 * The `gae` advantage estimator: {@link computeGae} over every env of a {@link Batch}, returning
 * advantages and the value targets R = A + V.
 */
export class GaeEstimator implements AdvantageEstimator {
  readonly name = "gae";
  readonly requires: readonly BatchField[];
  /** The validated options with defaults filled in. */
  readonly options: GaeOptions;

  constructor(options: Partial<GaeOptions> | PluginOptions = {}) {
    this.options = resolveGaeOptions(options);
    this.requires =
      this.options.truncation === "bootstrap"
        ? ["values", "truncationValues", "lastValues"]
        : ["values", "lastValues"];
  }

  estimate(batch: Batch): AdvantageResult {
    const { n, terminated, truncated, abstained } = checkBatch(batch, this.name, this.requires);
    rejectAbstained(abstained, this.name);
    const { numSteps, numEnvs } = batch;
    checkFiniteArray("values", batch.values!, n, "values (numSteps × numEnvs)");
    assertLength("lastValues", batch.lastValues!, numEnvs, "values (one per env)");
    if (this.options.truncation === "bootstrap") {
      assertLength("truncationValues", batch.truncationValues!, n, "values (numSteps × numEnvs)");
    }
    return gaeKernel(
      {
        numSteps,
        numEnvs,
        rewards: batch.rewards,
        values: batch.values!,
        terminated,
        truncated,
        truncationValues: batch.truncationValues,
        lastValues: batch.lastValues,
      },
      this.options,
    );
  }
}
