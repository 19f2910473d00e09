import {
  type ActionSampleRewards,
  type AdvantageEstimator,
  type AdvantageResult,
  assertFinite,
  assertInteger,
  assertLength,
  type Batch,
  type BatchField,
  mean,
  type PluginOptions,
  standardDeviation,
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
import { allEqual } from "./stats.js";

/**
 * How the N sampled rewards of a state become its advantage. Hybrid GRPO is Sane, arXiv 2502.01652;
 * only its abstract could be read, so the formulas below are reconstructions from the abstract and the
 * author's code, not checked against the paper's equations.
 * - `"mean"`: A_T = (1/N) Σ_i f(r_i) + γV(S_{T+1}) − V(S_T), the formula the abstract describes
 *   (empirical action sampling balanced with a bootstrapped value); with `lambda > 0`, GAE over the
 *   averaged reward as a third-party SB3 `HGRPO` does.
 * - `"centred"`: A = f(r_executed) − (1/N) Σ_i f(r_i), the author's sb3-contrib PR #275
 *   (`GRPO.collect_rollouts`), where the value terms cancel; `r_executed` is `batch.rewards` of the step.
 */
export type HybridVariant = "mean" | "centred";

/** The bounded reward transform f. */
export type HybridTransform = "tanh-zscore" | "tanh";

/** Which sampled rewards share the mean and std of the `"tanh-zscore"` transform. */
export type HybridNormalizeOver = "batch" | "state";

/** Options of {@link HybridEstimator} and {@link computeHybridAdvantages}. */
export interface HybridOptions {
  /** Discount γ of the value term. Default 0.99. */
  readonly gamma: number;
  /**
   * Trace decay of the value term. Default 0: the one-step γV(s') − V(s) of the reconstructed
   * formula. λ > 0 runs GAE(γ, λ) over the averaged transformed reward (third-party `HGRPO`).
   */
  readonly lambda: number;
  /** Default `"mean"` (the formula reconstructed from the abstract of arXiv 2502.01652). */
  readonly variant: HybridVariant;
  /**
   * f. `"tanh-zscore"` (default; the abstract's "adaptive reward normalization"):
   * tanh(τ·(r − mean)/(std + ε)) with the statistics taken as `normalizeOver` says. `"tanh"`:
   * tanh(τ·r), the author's Feb-2025 per-sample transform (τ = 1).
   */
  readonly transform: HybridTransform;
  /**
   * Where the z-score's mean and std come from. `"batch"` (default): one mean and std over every
   * sampled reward of the batch, as the author's sb3-contrib PR #275 normalises its whole rollout
   * buffer (`GRPO._default_reward_scaling_fn`: tanh((r − mean)/(std + 1e-8)), NumPy's population std).
   * The reward level then survives: a state whose actions all earn more gets a larger advantage, and
   * the critic learns from it. `"state"`: over the N samples of each state alone (the author's later
   * CleanRL fork and a third-party `HGRPO`), which removes the level: states sampling [0, 0, 0, 1] and
   * [10, 10, 10, 11] get the same advantage. The abstract of arXiv 2502.01652 does not say which.
   */
  readonly normalizeOver: HybridNormalizeOver;
  /**
   * Std of the z-score. Default `"population"` (NumPy's `std`, as PR #275's default scaling); the
   * per-state code bases use the sample std, so `normalizeOver: "state"` with `std: "sample"`
   * reproduces them (and this estimator's default before the batch normalisation).
   */
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
  normalizeOver: "batch",
  std: "population",
  epsilon: 1e-8,
  tau: 1,
};

const variants: readonly HybridVariant[] = ["mean", "centred"];
const transforms: readonly HybridTransform[] = ["tanh-zscore", "tanh"];
const normalizeOvers: readonly HybridNormalizeOver[] = ["batch", "state"];

function resolveHybridOptions(options: Partial<HybridOptions> | PluginOptions): HybridOptions {
  rejectUnknownOptions(options, Object.keys(hybridDefaults));
  const o = withDefaults(hybridDefaults, options);
  return {
    gamma: checkUnit("gamma", o.gamma),
    lambda: checkUnit("lambda", o.lambda),
    variant: checkOneOf("variant", o.variant, variants),
    transform: checkOneOf("transform", o.transform, transforms),
    normalizeOver: checkOneOf("normalizeOver", o.normalizeOver, normalizeOvers),
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

/** Mean, denominator std + ε, and whether f is identically 0, of the z-score over `r[from..to)`. */
interface ZScore {
  readonly mu: number;
  readonly denominator: number;
  /** All values equal, a single value, or a zero denominator: f := 0 (z is 0 or undefined). */
  readonly zero: boolean;
}

function zscoreStats(r: Float64Array, from: number, to: number, options: HybridOptions): ZScore {
  const rewards = r.subarray(from, to);
  const mu = mean(rewards);
  // std over the k rewards, population (PR #275, NumPy std) or sample; one value has none: f := 0.
  const sigma = standardDeviation(rewards, { sample: options.std === "sample", center: mu });
  const denominator = sigma + options.epsilon;
  return { mu, denominator, zero: allEqual(rewards) || denominator === 0 };
}

/**
 * Per state: the mean of f over its N samples and, for the centred variant, f of the executed reward,
 * both under the same z-score statistics (the whole batch's, or the state's own).
 */
function transformKernel(
  samples: ActionSampleRewards,
  numStates: number,
  executed: ArrayLike<number> | undefined,
  options: HybridOptions,
): { meanF: Float64Array; executedF: Float64Array | undefined } {
  const N = samples.samplesPerState;
  const r = samples.rewards;
  const { tau } = options;
  const zscore = options.transform === "tanh-zscore";
  const batchStats =
    zscore && options.normalizeOver === "batch" ? zscoreStats(r, 0, numStates * N, options) : undefined;
  const meanF = new Float64Array(numStates);
  const executedF = executed ? new Float64Array(numStates) : undefined;
  for (let s = 0; s < numStates; s++) {
    const base = s * N;
    const z = zscore ? (batchStats ?? zscoreStats(r, base, base + N, options)) : undefined;
    // f(r) = tanh(τ·(r − mean)/(std + ε)) (PR #275 `_default_reward_scaling_fn`, τ = 1) or tanh(τ·r).
    const f = (reward: number) =>
      z === undefined
        ? Math.tanh(tau * reward)
        : z.zero
          ? 0
          : Math.tanh((tau * (reward - z.mu)) / z.denominator);
    let sumF = 0;
    for (let i = 0; i < N; i++) sumF += f(r[base + i]);
    // (1/N) Σ_i f(r(S_T, a_T^{(i)})): the empirical term of the reconstructed Hybrid GRPO advantage.
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
 * Hybrid GRPO advantages (Sane, arXiv 2502.01652; reconstructed from the abstract and the author's
 * code, see {@link HybridVariant}) of one env's T states, T = `actionSamples.rewards.length / samplesPerState`.
 * By default the z-score statistics are those of all T·N sampled rewards (see `normalizeOver`).
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
 * The `hybrid` advantage estimator (Hybrid GRPO, arXiv 2502.01652; experimental: only the paper's
 * abstract could be read). Default: A = mean over the N sampled actions of tanh(z-score of their
 * rewards, with one mean and population std over every sampled reward of the batch, as the author's
 * sb3-contrib PR #275) + γV(s') − V(s), with SB3 episode-end handling for the value term.
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
    // The averaged transformed reward takes the place of r_t in δ_t; λ = 0 gives the one-step A_T (arXiv 2502.01652 abstract).
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
