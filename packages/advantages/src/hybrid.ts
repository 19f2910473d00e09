import {
  type ActionSampleRewards,
  type AdvantageEstimator,
  type AdvantageResult,
  assertFinite,
  assertInteger,
  assertLength,
  type Batch,
  type BatchField,
  type PluginOptions,
} from "@rlts/core";
import { checkBatch, checkFiniteArray, splitAbstentions } from "./batch-checks.js";
import { missingInput } from "./episode-ends.js";
import { computeGae, gaeDefaults, gaeKernel } from "./gae.js";
import {
  checkNonNegative,
  checkOneOf,
  checkPositive,
  checkUnit,
  rejectUnknownOptions,
  type StdKind,
  stdKinds,
  withDefaults,
} from "./options.js";

/**
 * How the N sampled rewards of a state become its advantage (FORMULAS §7).
 * - `"mean"`: A_T = (1/N) Σ_i f(r_i) + γV(S_{T+1}) − V(S_T), the reconstructed paper formula (with
 *   `lambda > 0`, GAE over the averaged reward as a third-party SB3 `HGRPO` does).
 * - `"centred"`: A = f(r_executed) − (1/N) Σ_i f(r_i), the author's sb3-contrib PR #275, where the value
 *   terms cancel; `r_executed` is `batch.rewards` of the step.
 */
export type HybridVariant = "mean" | "centred";

/** The bounded reward transform f. */
export type HybridTransform = "tanh-zscore" | "tanh";

/** Options of {@link HybridEstimator} and {@link computeHybridAdvantages}. */
export interface HybridOptions {
  /** Discount γ of the value term. Default 0.99. */
  readonly gamma: number;
  /**
   * Trace decay of the value term. Default 0: the one-step γV(s') − V(s) of the reconstructed paper
   * formula. λ > 0 runs GAE(γ, λ) over the averaged transformed reward (third-party `HGRPO`).
   */
  readonly lambda: number;
  /** Default `"mean"` (the formula FORMULAS §7 reconstructs from the paper's abstract). */
  readonly variant: HybridVariant;
  /**
   * f. `"tanh-zscore"` (default; the issue and the "adaptive reward normalisation" extension):
   * tanh(τ·(r − mean_N)/(std_N + ε)) over the N samples of the state. `"tanh"`: tanh(τ·r), the
   * author's Feb-2025 code (τ = 1).
   */
  readonly transform: HybridTransform;
  /** Std of the z-score over the N samples. Default `"sample"` (the author's CleanRL fork and `HGRPO`). */
  readonly std: StdKind;
  /** ε added to the std of the z-score. Default 1e-8 (author code). */
  readonly epsilon: number;
  /** Temperature τ inside tanh. Default 1 (author code). */
  readonly tau: number;
}

/** Defaults of {@link HybridOptions}. */
export const hybridDefaults: HybridOptions = {
  gamma: 0.99,
  lambda: 0,
  variant: "mean",
  transform: "tanh-zscore",
  std: "sample",
  epsilon: 1e-8,
  tau: 1,
};

const variants: readonly HybridVariant[] = ["mean", "centred"];
const transforms: readonly HybridTransform[] = ["tanh-zscore", "tanh"];

function resolveHybridOptions(options: Partial<HybridOptions> | PluginOptions): HybridOptions {
  rejectUnknownOptions(options, Object.keys(hybridDefaults));
  const o = withDefaults(hybridDefaults, options);
  return {
    gamma: checkUnit("gamma", o.gamma),
    lambda: checkUnit("lambda", o.lambda),
    variant: checkOneOf("variant", o.variant, variants),
    transform: checkOneOf("transform", o.transform, transforms),
    std: checkOneOf("std", o.std, stdKinds),
    epsilon: checkNonNegative("epsilon", o.epsilon),
    tau: checkPositive("tau", o.tau),
  };
}

/** Validates `samples` for `numStates` states; returns N. */
function checkSamples(samples: ActionSampleRewards, numStates: number): number {
  const N = samples.samplesPerState;
  assertInteger("actionSamples.samplesPerState", N, 1);
  assertLength("actionSamples.rewards", samples.rewards, numStates * N, "rewards (states × samplesPerState)");
  assertFinite("actionSamples.rewards", samples.rewards);
  return N;
}

/**
 * Per state: the mean of f over its N samples and, for the centred variant, f of the executed reward,
 * both under the same z-score statistics.
 */
function transformKernel(
  samples: ActionSampleRewards,
  numStates: number,
  executed: ArrayLike<number> | undefined,
  options: HybridOptions,
): { meanF: Float64Array; executedF: Float64Array | undefined } {
  const N = samples.samplesPerState;
  const r = samples.rewards;
  const { tau, epsilon } = options;
  const zscore = options.transform === "tanh-zscore";
  const dof = options.std === "sample" ? 1 : 0;
  const meanF = new Float64Array(numStates);
  const executedF = executed ? new Float64Array(numStates) : undefined;
  for (let s = 0; s < numStates; s++) {
    const base = s * N;
    let mu = 0;
    let denominator = 1;
    let constant = true;
    if (zscore) {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        sum += r[base + i];
        if (r[base + i] !== r[base]) constant = false;
      }
      mu = sum / N;
      let sumSq = 0;
      for (let i = 0; i < N; i++) sumSq += (r[base + i] - mu) ** 2;
      // N = 1 leaves the std undefined and all-equal rewards give z ≡ 0: f := 0 for both (FORMULAS §7).
      const sigma = N > dof ? Math.sqrt(sumSq / (N - dof)) : 0;
      denominator = sigma + epsilon;
      if (denominator === 0) constant = true;
    }
    // f(r) = tanh(τ·(r − mean_N)/(std_N + ε)) or tanh(τ·r)  (FORMULAS §7, author code).
    const f = (reward: number) =>
      zscore ? (constant ? 0 : Math.tanh((tau * (reward - mu)) / denominator)) : Math.tanh(tau * reward);
    let sumF = 0;
    for (let i = 0; i < N; i++) sumF += f(r[base + i]);
    // (1/N) Σ_i f(r(S_T, a_T^{(i)}))  (FORMULAS §7).
    meanF[s] = sumF / N;
    if (executedF) executedF[s] = f(executed![s]);
  }
  return { meanF, executedF };
}

/** One env's states for {@link computeHybridAdvantages}; the GAE fields as in `computeGae`. */
export interface HybridInput {
  /** Rewards of the N actions sampled at each of the T states, `rewards[t·N + i]`. */
  readonly actionSamples: ActionSampleRewards;
  /**
   * Reward of the executed action at each state (read by the `"centred"` variant only); `null`
   * abstains, and that state's advantage is 0.
   */
  readonly rewards?: ArrayLike<number | null>;
  /** V(S_t) (the `"mean"` variant). */
  readonly values?: ArrayLike<number>;
  /** 1 (or `true`) where the step reached a terminal state (its γV(S_{t+1}) is dropped). Default: none. */
  readonly terminated?: ArrayLike<number | boolean>;
  /** 1 (or `true`) where a time limit cut the episode (bootstrap from `truncationValues`). Default: none. */
  readonly truncated?: ArrayLike<number | boolean>;
  /** V(final observation) where truncated. */
  readonly truncationValues?: ArrayLike<number>;
  /** V(S_T) after the last step, if it did not end its episode. */
  readonly lastValue?: number;
}

/** Advantages of Hybrid GRPO; `returns` (A + V) for the `"mean"` variant only. */
export interface HybridResult {
  readonly advantages: Float64Array;
  readonly returns?: Float64Array;
}

/**
 * Hybrid GRPO advantages (Sane, arXiv 2502.01652; FORMULAS §7, partly unverified) of one env's T
 * states, T = `actionSamples.rewards.length / samplesPerState`.
 */
export function computeHybridAdvantages(
  input: HybridInput,
  options: Partial<HybridOptions> = {},
): HybridResult {
  const resolved = resolveHybridOptions(options);
  const N = input.actionSamples.samplesPerState;
  assertInteger("actionSamples.samplesPerState", N, 1);
  const T = Math.ceil(input.actionSamples.rewards.length / N);
  checkSamples(input.actionSamples, T);
  if (resolved.variant === "centred") {
    if (input.rewards == null) {
      throw missingInput(
        "rewards",
        "the centred variant compares the executed action's reward; pass one per state",
      );
    }
    assertLength("rewards", input.rewards, T, "rewards (one per state)");
    const executed = splitAbstentions("rewards", input.rewards);
    return {
      advantages: centredKernel(input.actionSamples, T, executed.rewards, executed.abstained, resolved),
    };
  }
  if (input.values == null)
    throw missingInput("values", "the mean variant adds γV(s') − V(s); pass V(S_t), one per state");
  const { meanF } = transformKernel(input.actionSamples, T, undefined, resolved);
  return computeGae(
    {
      rewards: meanF,
      values: input.values,
      terminated: input.terminated ?? new Uint8Array(T),
      truncated: input.truncated ?? new Uint8Array(T),
      truncationValues: input.truncationValues,
      lastValue: input.lastValue,
    },
    { gamma: resolved.gamma, lambda: resolved.lambda },
  );
}

function centredKernel(
  samples: ActionSampleRewards,
  numStates: number,
  executed: ArrayLike<number>,
  abstained: Uint8Array | undefined,
  options: HybridOptions,
): Float64Array {
  const { meanF, executedF } = transformKernel(samples, numStates, executed, options);
  // A = f(r_executed) − (1/N) Σ_i f(r_i): the V terms of tanh(r) + γV(s') − V(s) cancel (sb3-contrib PR #275);
  // an abstaining executed action gets 0 (TRL nan_to_num for unscorable samples).
  return executedF!.map((f, s) => (abstained !== undefined && abstained[s] === 1 ? 0 : f - meanF[s]));
}

/**
 * The `hybrid` advantage estimator (Hybrid GRPO, experimental: FORMULAS §7 could not be checked against
 * the paper's full text). Default: A = mean over the N sampled actions of tanh(z-score of their
 * rewards) + γV(s') − V(s), with SB3 episode-end handling for the value term.
 */
export class HybridEstimator implements AdvantageEstimator {
  readonly name = "hybrid";
  readonly requires: readonly BatchField[];
  /** The validated options with defaults filled in. */
  readonly options: HybridOptions;

  constructor(options: Partial<HybridOptions> | PluginOptions = {}) {
    this.options = resolveHybridOptions(options);
    this.requires =
      this.options.variant === "centred"
        ? ["actionSamples"]
        : ["actionSamples", "values", "truncationValues", "lastValues"];
  }

  estimate(batch: Batch): AdvantageResult {
    const { n, terminated, truncated, abstained } = checkBatch(batch, this.name, this.requires);
    checkSamples(batch.actionSamples!, n);
    if (this.options.variant === "centred") {
      return {
        advantages: centredKernel(batch.actionSamples!, n, batch.rewards, abstained, this.options),
      };
    }
    // The mean variant reads only the sampled actions' rewards, so batch.abstained changes nothing.
    checkFiniteArray("values", batch.values!, n, "values (numSteps × numEnvs)");
    assertLength("truncationValues", batch.truncationValues!, n, "values (numSteps × numEnvs)");
    assertLength("lastValues", batch.lastValues!, batch.numEnvs, "values (one per env)");
    const { meanF } = transformKernel(batch.actionSamples!, n, undefined, this.options);
    // The averaged transformed reward takes the place of r_t in δ_t; λ = 0 gives A_T of FORMULAS §7.
    return gaeKernel(
      {
        numSteps: batch.numSteps,
        numEnvs: batch.numEnvs,
        rewards: meanF,
        values: batch.values!,
        terminated,
        truncated,
        truncationValues: batch.truncationValues,
        lastValues: batch.lastValues,
      },
      { ...gaeDefaults, gamma: this.options.gamma, lambda: this.options.lambda },
    );
  }
}
