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
import { checkBootstrapInput, missingInput } from "./episode-ends.js";
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

/** Options of {@link ReturnsEstimator} and {@link computeReturns}. */
export interface ReturnsOptions {
  /** Discount γ. Default 0.99 (Spinning Up VPG). */
  readonly gamma: number;
  /**
   * Bootstrap where an episode did not end in a terminal state: from V(final observation) at a
   * truncated step and from V(s_T) at the end of the buffer (Spinning Up `GAEBuffer.finish_path(last_val)`).
   * Default true. `false` cuts the return there (as if terminal): biased, but needs no value function,
   * which is what plain REINFORCE on complete episodes does.
   */
  readonly bootstrap: boolean;
  /** Subtract the baseline V(s_t): A = G − V (REINFORCE with baseline). Default false. */
  readonly baseline: boolean;
  /** Normalise the advantages over the whole batch. Default false. */
  readonly normalize: boolean;
  /** Std used by `normalize`. Default `"population"` (Spinning Up `mpi_statistics_scalar`). */
  readonly normalizeStd: StdKind;
  /** ε added to the std by `normalize`. Default 0 (Spinning Up). */
  readonly normalizeEpsilon: number;
}

/** Defaults of {@link ReturnsOptions}. */
export const returnsDefaults: ReturnsOptions = {
  gamma: 0.99,
  bootstrap: true,
  baseline: false,
  normalize: false,
  normalizeStd: "population",
  normalizeEpsilon: 0,
};

/** Validates returns options (unknown keys included) and fills in defaults. */
export function resolveReturnsOptions(options: Partial<ReturnsOptions> | PluginOptions = {}): ReturnsOptions {
  rejectUnknownOptions(options, Object.keys(returnsDefaults));
  const o = withDefaults(returnsDefaults, options);
  return {
    gamma: checkUnit("gamma", o.gamma),
    bootstrap: checkBoolean("bootstrap", o.bootstrap),
    baseline: checkBoolean("baseline", o.baseline),
    normalize: checkBoolean("normalize", o.normalize),
    normalizeStd: checkOneOf("normalizeStd", o.normalizeStd, stdKinds),
    normalizeEpsilon: checkNonNegative("normalizeEpsilon", o.normalizeEpsilon),
  };
}

/** One env's rollout for {@link computeReturns}; every array has the same length T. */
export interface ReturnsInput {
  /** r_t. */
  readonly rewards: ArrayLike<number>;
  /** 1 (or `true`) where the step reached a terminal state. */
  readonly terminated: ArrayLike<number | boolean>;
  /** 1 (or `true`) where a time limit cut the episode. */
  readonly truncated: ArrayLike<number | boolean>;
  /** V(s_t); needed only with `baseline: true`. */
  readonly values?: ArrayLike<number>;
  /** V(final observation), read only where truncated (and not terminated) with `bootstrap: true`. */
  readonly truncationValues?: ArrayLike<number>;
  /** V(s_T) after the last step, read only if that step did not end its episode and `bootstrap: true`. */
  readonly lastValue?: number;
}

/** Advantages and discounted returns-to-go, one per step. */
export interface ReturnsResult {
  /** G_t, or G_t − V(s_t) with a baseline, normalised if asked. */
  readonly advantages: Float64Array;
  /** G_t, before any baseline or normalisation. */
  readonly returns: Float64Array;
}

interface ReturnsArrays {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly values: Float64Array | undefined;
  readonly truncationValues: Float64Array | undefined;
  readonly lastValues: Float64Array | undefined;
}

const emptyValues = new Float64Array(0);

function returnsKernel(input: ReturnsArrays, options: ReturnsOptions): ReturnsResult {
  const { numSteps: T, numEnvs: E, rewards, terminated, truncated } = input;
  const { gamma, bootstrap } = options;
  const truncationValues = input.truncationValues ?? emptyValues;
  const lastValues = input.lastValues ?? emptyValues;
  const returns = new Float64Array(T * E);
  // G_{t+1} of each env while walking backwards; G_T := V(s_T) or 0 (Spinning Up `finish_path(last_val)`).
  const nextReturn = new Float64Array(E);
  for (let t = T - 1; t >= 0; t--) {
    const row = t * E;
    for (let e = 0; e < E; e++) {
      const i = row + e;
      const isTerminated = terminated[i] !== 0;
      const isTruncated = truncated[i] !== 0;
      // c_t = 0 if terminated, V(s_final,t) if truncated, G_{t+1} otherwise  (SB3 `collect_rollouts`).
      let continuation = 0;
      if (!isTerminated) {
        if (isTruncated) continuation = bootstrap ? finiteAt("truncationValues", truncationValues, i) : 0;
        else if (t === T - 1) continuation = bootstrap ? finiteAt("lastValues", lastValues, e) : 0;
        else continuation = nextReturn[e];
      }
      // G_t = r_t + γ·c_t  (Spinning Up vpg/core.py `discount_cumsum`).
      const G = rewards[i] + gamma * continuation;
      returns[i] = G;
      nextReturn[e] = G;
    }
  }
  const advantages = Float64Array.from(returns);
  if (options.baseline) {
    const values = input.values!;
    // A_t = G_t − V(s_t), V not differentiated (Sutton & Barto 2018 §13.4, REINFORCE with baseline).
    for (let i = 0; i < advantages.length; i++) advantages[i] = returns[i] - values[i];
  }
  if (options.normalize) {
    normalizeInPlace(advantages, { std: options.normalizeStd, epsilon: options.normalizeEpsilon });
  }
  return { advantages, returns };
}

/**
 * Discounted returns-to-go G_t of one env's T steps (Spinning Up VPG's reward-to-go), with the optional
 * baseline G − V and whole-trajectory normalisation.
 */
export function computeReturns(input: ReturnsInput, options: Partial<ReturnsOptions> = {}): ReturnsResult {
  const resolved = resolveReturnsOptions(options);
  const T = input.rewards.length;
  checkFiniteArray("rewards", input.rewards, T, "rewards");
  const terminated = checkFlags("terminated", input.terminated, T, "flags (one per reward)");
  const truncated = checkFlags("truncated", input.truncated, T, "flags (one per reward)");
  if (resolved.baseline) {
    if (input.values == null) {
      throw missingInput("values", "baseline: true subtracts V(s_t); pass values, one per reward");
    }
    checkFiniteArray("values", input.values, T, "values (one per reward)");
  }
  if (T === 0) return { advantages: new Float64Array(0), returns: new Float64Array(0) };
  const lastValues = resolved.bootstrap
    ? checkBootstrapInput(input, terminated, truncated, "bootstrap", {
        truncation: " (or bootstrap: false to cut the return there)",
        last: " (or bootstrap: false)",
      })
    : undefined;
  return returnsKernel(
    {
      numSteps: T,
      numEnvs: 1,
      rewards: toFloat64(input.rewards),
      terminated,
      truncated,
      values: input.values && toFloat64(input.values),
      truncationValues: input.truncationValues && toFloat64(input.truncationValues),
      lastValues,
    },
    resolved,
  );
}

/** The `returns` advantage estimator: discounted returns-to-go over every env of a {@link Batch}. */
export class ReturnsEstimator implements AdvantageEstimator {
  readonly name = "returns";
  readonly requires: readonly BatchField[];
  /** The validated options with defaults filled in. */
  readonly options: ReturnsOptions;

  constructor(options: Partial<ReturnsOptions> | PluginOptions = {}) {
    this.options = resolveReturnsOptions(options);
    const requires: BatchField[] = [];
    if (this.options.baseline) requires.push("values");
    if (this.options.bootstrap) requires.push("truncationValues", "lastValues");
    this.requires = requires;
  }

  estimate(batch: Batch): AdvantageResult {
    const { n, terminated, truncated, abstained } = checkBatch(batch, this.name, this.requires);
    rejectAbstained(abstained, this.name);
    if (this.options.baseline) checkFiniteArray("values", batch.values!, n, "values (numSteps × numEnvs)");
    if (this.options.bootstrap) {
      assertLength("truncationValues", batch.truncationValues!, n, "values (numSteps × numEnvs)");
      assertLength("lastValues", batch.lastValues!, batch.numEnvs, "values (one per env)");
    }
    return returnsKernel(
      {
        numSteps: batch.numSteps,
        numEnvs: batch.numEnvs,
        rewards: batch.rewards,
        terminated,
        truncated,
        values: batch.values,
        truncationValues: batch.truncationValues,
        lastValues: batch.lastValues,
      },
      this.options,
    );
  }
}
