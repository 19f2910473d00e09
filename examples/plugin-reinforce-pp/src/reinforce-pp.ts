import {
  type AdvantageEstimator,
  type AdvantageResult,
  assertFinite,
  assertLength,
  assertOneOf,
  type Batch,
  ConfigError,
  type PluginOptions,
  ShapeError,
} from "@rlts/core";

/** Which variance whitens the batch. */
export type StdKind = "population" | "sample";
/** Where ε enters the whitening: `floor` is 1/√max(var, ε), `add` is 1/√(var + ε). */
export type EpsilonPlacement = "floor" | "add";
/** The baseline of a prompt that has a single completion. */
export type SingletonBaseline = "group-mean" | "zero";

/**
 * Options of {@link ReinforcePlusPlusEstimator}. The two reference implementations differ in the
 * variance, the ε placement and single-completion prompts; the defaults follow OpenRLHF (the
 * implementation of the REINFORCE++ authors), and `{ stdKind: "sample", epsilonPlacement: "add",
 * singletonBaseline: "zero" }` reproduces verl.
 */
export interface ReinforcePlusPlusOptions {
  /**
   * `"population"` divides the squared deviations by N (OpenRLHF `experience_maker.py`);
   * `"sample"` by N − 1 (verl `masked_whiten` → `masked_var(unbiased=True)`). Default `"population"`.
   */
  readonly stdKind: StdKind;
  /** ε of the whitening, > 0. Default `1e-8` (both references). */
  readonly epsilon: number;
  /**
   * `"floor"`: A·1/√max(var, ε), OpenRLHF's `var.clamp(min=1e-8).rsqrt()`. `"add"`: A·1/√(var + ε),
   * verl's `torch.rsqrt(var + 1e-8)`. Default `"floor"`.
   */
  readonly epsilonPlacement: EpsilonPlacement;
  /**
   * A prompt with one completion: `"group-mean"` subtracts its own reward, so its advantage before
   * whitening is 0 (OpenRLHF's `rewards - rewards.mean(-1)`); `"zero"` uses baseline 0, so it keeps its
   * raw reward (verl sets `id2mean = 0` for such groups). Default `"group-mean"`.
   */
  readonly singletonBaseline: SingletonBaseline;
}

/** The defaults of {@link ReinforcePlusPlusOptions} (OpenRLHF's choices). */
export const reinforcePlusPlusDefaults: ReinforcePlusPlusOptions = {
  stdKind: "population",
  epsilon: 1e-8,
  epsilonPlacement: "floor",
  singletonBaseline: "group-mean",
};

const optionNames = Object.keys(reinforcePlusPlusDefaults);

/**
 * Fills in defaults and validates options as written in a config. Throws {@link ConfigError} naming
 * `advantage.<option>` for an unknown option or a bad value.
 */
export function resolveReinforcePlusPlusOptions(
  options: Partial<ReinforcePlusPlusOptions> | PluginOptions = {},
): ReinforcePlusPlusOptions {
  for (const key of Object.keys(options)) {
    if (!optionNames.includes(key)) {
      throw new ConfigError(
        `advantage.${key}`,
        (options as PluginOptions)[key],
        `reinforce++ takes ${optionNames.join(", ")}`,
      );
    }
  }
  const resolved = { ...reinforcePlusPlusDefaults, ...options } as ReinforcePlusPlusOptions;
  assertOneOf("advantage.stdKind", resolved.stdKind, ["population", "sample"]);
  assertOneOf("advantage.epsilonPlacement", resolved.epsilonPlacement, ["floor", "add"]);
  assertOneOf("advantage.singletonBaseline", resolved.singletonBaseline, ["group-mean", "zero"]);
  if (typeof resolved.epsilon !== "number" || !(resolved.epsilon > 0 && resolved.epsilon < 1)) {
    throw new ConfigError(
      "advantage.epsilon",
      resolved.epsilon,
      "use a small positive number below 1, e.g. 1e-8",
    );
  }
  return resolved;
}

/** What {@link computeReinforcePlusPlus} returns. */
export interface ReinforcePlusPlusResult {
  /** The whitened advantages, one per completion. */
  readonly advantages: Float64Array;
  /** Mean of the baselined rewards over the batch (subtracted when whitening). */
  readonly mean: number;
  /** The divisor used when whitening: √max(var, ε) or √(var + ε). */
  readonly scale: number;
}

/**
 * REINFORCE++-baseline advantages for one batch of outcome rewards (arXiv 2501.03262):
 * subtract each prompt's mean reward, then whiten over the whole batch. Each completion weighs the
 * same; the references weigh completions by their token count, which gives the same numbers when
 * completions have equal lengths.
 */
export function computeReinforcePlusPlus(
  rewards: Float64Array,
  groupIds: Int32Array,
  options: Partial<ReinforcePlusPlusOptions> = {},
): ReinforcePlusPlusResult {
  const { stdKind, epsilon, epsilonPlacement, singletonBaseline } = resolveReinforcePlusPlusOptions(options);
  const n = rewards.length;
  assertLength("groupIds", groupIds, n, "group ids (one per completion)");
  assertFinite("rewards", rewards);

  const sum = new Map<number, number>();
  const count = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const g = groupIds[i]!;
    sum.set(g, (sum.get(g) ?? 0) + rewards[i]!);
    count.set(g, (count.get(g) ?? 0) + 1);
  }
  const baselined = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = groupIds[i]!;
    const size = count.get(g)!;
    // b_g = mean of the prompt's rewards; verl uses b = 0 for single-completion prompts
    // (OpenRLHF experience_maker.py `rewards - rewards.mean(-1)`; verl core_algos.py
    // compute_reinforce_plus_plus_baseline_outcome_advantage `id2mean`).
    const baseline = size === 1 && singletonBaseline === "zero" ? 0 : sum.get(g)! / size;
    baselined[i] = rewards[i]! - baseline;
  }

  let mean = 0;
  for (const a of baselined) mean += a;
  mean /= n;
  let squares = 0;
  for (const a of baselined) squares += (a - mean) * (a - mean);
  // var = Σ(A − mean)² / N (OpenRLHF) or / (N − 1) (verl masked_var, Bessel); one sample has var 0.
  const variance = stdKind === "sample" ? (n > 1 ? squares / (n - 1) : 0) : squares / n;
  // OpenRLHF: rstd = var.clamp(min=ε).rsqrt(); verl masked_whiten: rsqrt(var + ε).
  const scale = Math.sqrt(epsilonPlacement === "floor" ? Math.max(variance, epsilon) : variance + epsilon);
  const advantages = new Float64Array(n);
  // A = (A' − mean) / scale: whitening over the whole batch (REINFORCE++ §3, global normalisation).
  for (let i = 0; i < n; i++) advantages[i] = (baselined[i]! - mean) / scale;
  return { advantages, mean, scale };
}

/**
 * The `reinforce++` advantage estimator (REINFORCE++-baseline): for a batch of N completions
 * (`numSteps = 1`, `numEnvs = N`, one outcome reward each) with `groupIds` naming each completion's
 * prompt, A_i = (r_i − mean_{g(i)} − μ) / σ, where μ and σ are the mean and std of r − mean_g over the
 * whole batch.
 */
export class ReinforcePlusPlusEstimator implements AdvantageEstimator {
  readonly name = "reinforce++";
  readonly requires = ["groupIds"] as const;
  /** The validated options with defaults filled in. */
  readonly options: ReinforcePlusPlusOptions;

  constructor(options: Partial<ReinforcePlusPlusOptions> | PluginOptions = {}) {
    this.options = resolveReinforcePlusPlusOptions(options);
  }

  estimate(batch: Batch): AdvantageResult {
    if (batch.numSteps !== 1) {
      throw new ShapeError(
        "numSteps",
        "1 (reinforce++ scores whole completions: numSteps = 1, numEnvs = completions)",
        String(batch.numSteps),
      );
    }
    const n = batch.numSteps * batch.numEnvs;
    assertLength("rewards", batch.rewards, n, "rewards (numSteps × numEnvs)");
    if (!batch.groupIds) {
      throw new ConfigError(
        "batch.groupIds",
        batch.groupIds,
        "reinforce++ needs groupIds: the prompt each completion answers (samples of one prompt share an id)",
      );
    }
    const { advantages, mean, scale } = computeReinforcePlusPlus(batch.rewards, batch.groupIds, this.options);
    return { advantages, metrics: { "reinforce++/mean": mean, "reinforce++/scale": scale } };
  }
}
