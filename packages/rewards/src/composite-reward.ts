import {
  assertOneOf,
  ConfigError,
  mean,
  type PluginContext,
  type RewardCallOptions,
  type RewardFunction,
  type RewardInput,
  standardDeviation,
} from "@rlts/core";
import { assertFiniteNumber, assertKnownKeys } from "./options.js";

/**
 * How a composite turns component scores r_{k,i} (component k, sample i, weight w_k) into one reward,
 * under TRL's names (`GRPOConfig.multi_objective_aggregation`). A_i is the set of components that did
 * not abstain (score not `null`) on sample i; when A_i is empty the sample abstains (`null`), as TRL
 * marks a completion unscorable when every reward function returned None.
 * - `sum_then_normalize` (default, TRL's default): the weighted nan-sum R_i = Σ_{k∈A_i} w_k·r_{k,i}
 *   (TRL `(rewards_per_func * reward_weights).nansum(dim=1)`). The advantage estimator normalises it:
 *   with the `group` estimator at its defaults this is TRL's default GRPO advantage.
 * - `normalize_then_sum` (TRL, GDPO arXiv 2601.05242): each component is first z-scored **within each
 *   group** over its non-null scores, z_{k,i} = (r_{k,i} − mean_{k,g})/(std_{k,g} + eps) with the sample
 *   std and eps = `normalizeEps` (1e-4; z = 0 when the group has fewer than 2 scores for k), then
 *   R_i = Σ_{k∈A_i} w_k·z_{k,i}. Needs `groupIds` in the call options. TRL then normalises R over the
 *   whole batch, `(R − nanmean R)/(nanstd R + 1e-4)`: pair it with `advantage: { name: group, scale:
 *   batch }`, which computes exactly that, because R sums to 0 within every group (each z_k does), so
 *   the group mean the estimator subtracts is 0, as is the batch mean TRL subtracts.
 * - `sum`: an alias of `sum_then_normalize` (they were different before; kept so configs keep working).
 */
export type Aggregation = "sum_then_normalize" | "normalize_then_sum" | "sum";

/** What a component that throws, times out or returns an invalid score counts as on the failed samples. */
export type OnError = "zero" | "abstain";

/** One part of a composite: a built reward function, its weight and the label its metric is logged under. */
export interface CompositePart {
  readonly reward: RewardFunction;
  /** Weight w_k. Default 1. */
  readonly weight?: number;
  /** Metric label (`reward/<label>`). Default the reward's `name`; must be unique in the composite. */
  readonly label?: string;
}

/** Options of {@link CompositeReward}. */
export interface CompositeRewardOptions {
  /** How component scores are combined; see {@link Aggregation}. Default `"sum_then_normalize"`. */
  readonly aggregation?: Aggregation;
  /** A failed component's score on the failed samples: `"zero"` (default) or `"abstain"` (`null`). */
  readonly onError?: OnError;
  /** Each component call is aborted (its signal fires) and recorded as a timeout after this many ms; 0 = never. Default 30000. */
  readonly timeoutMs?: number;
  /** At most this many component calls run at once. Default 4. */
  readonly concurrency?: number;
  /**
   * When a component throws on a batch, call it again on each sample alone so that only the samples
   * it fails on are recorded as failed (the rest keep their scores). Default `true`.
   */
  readonly isolateErrors?: boolean;
  /** eps of `normalize_then_sum`'s per-group z-score. Default 1e-4 (TRL). */
  readonly normalizeEps?: number;
}

/** Defaults of {@link CompositeRewardOptions}. */
export const compositeRewardDefaults = {
  aggregation: "sum_then_normalize",
  onError: "zero",
  timeoutMs: 30_000,
  concurrency: 4,
  isolateErrors: true,
  normalizeEps: 1e-4,
} as const satisfies Required<CompositeRewardOptions>;

/** Why a component has no score of its own for a sample. */
export interface ComponentFailure {
  readonly kind: "threw" | "timeout" | "invalid";
  readonly message: string;
}

/**
 * Everything a composite computed for a batch, so that a trainer can log each component separately.
 * Arrays are indexed by sample, in input order.
 */
export interface CompositeScores {
  /** The combined reward per sample (`null`: every component abstained). */
  readonly total: (number | null)[];
  /** Each component's score per sample by label, after `onError` replaced failures (0 or `null`). */
  readonly components: Readonly<Record<string, (number | null)[]>>;
  /** Each component's failure per sample by label (`null`: no failure). */
  readonly errors: Readonly<Record<string, (ComponentFailure | null)[]>>;
  /** Labels in component order. */
  readonly labels: readonly string[];
}

/** A reward function that can also report its components' scores (the composite). */
export interface DetailedRewardFunction extends RewardFunction {
  scoreDetailed(inputs: readonly RewardInput[], options?: RewardCallOptions): Promise<CompositeScores>;
}

/** Whether `reward` reports per-component scores through `scoreDetailed`. */
export function isDetailedReward(reward: RewardFunction): reward is DetailedRewardFunction {
  return typeof (reward as Partial<DetailedRewardFunction>).scoreDetailed === "function";
}

/**
 * Mean of the non-null scores, or `undefined` when there are none: a metric over no score is left out
 * of the log, so "none" must stay distinguishable from a score that is itself NaN.
 */
function meanOfScores(values: readonly (number | null)[]): number | undefined {
  const scored = values.filter((v): v is number => v !== null);
  return scored.length > 0 ? mean(scored) : undefined;
}

/**
 * Scalar metrics of a composite's batch: `<prefix>` (mean total), `<prefix>/<label>` (mean of each
 * component's non-null scores), `<prefix>/<label>/error_rate` (fraction of samples it failed on) and
 * `<prefix>/<label>/abstain_rate`. Means over no score are left out rather than logged as NaN.
 */
export function compositeMetrics(scores: CompositeScores, prefix = "reward"): Record<string, number> {
  const metrics: Record<string, number> = {};
  const total = meanOfScores(scores.total);
  if (total !== undefined) metrics[prefix] = total;
  for (const label of scores.labels) {
    const values = scores.components[label];
    const m = meanOfScores(values);
    if (m !== undefined) metrics[`${prefix}/${label}`] = m;
    const n = Math.max(values.length, 1);
    metrics[`${prefix}/${label}/error_rate`] = scores.errors[label].filter((e) => e !== null).length / n;
    metrics[`${prefix}/${label}/abstain_rate`] = values.filter((v) => v === null).length / n;
  }
  return metrics;
}

class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

type CallResult =
  | { readonly ok: true; readonly scores: unknown }
  | { readonly ok: false; readonly failure: ComponentFailure };

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

async function callComponent(
  reward: RewardFunction,
  inputs: readonly RewardInput[],
  timeoutMs: number,
  parent: AbortSignal | undefined,
  groupIds: readonly number[] | undefined,
): Promise<CallResult> {
  if (parent?.aborted) throw parent.reason;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onParentAbort: (() => void) | undefined;
  const stop = new Promise<CallResult>((resolve, reject) => {
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        const failure: ComponentFailure = { kind: "timeout", message: `no result within ${timeoutMs} ms` };
        controller.abort(new Error(failure.message));
        resolve({ ok: false, failure });
      }, timeoutMs);
    }
    if (parent) {
      onParentAbort = () => {
        controller.abort(parent.reason);
        reject(parent.reason);
      };
      parent.addEventListener("abort", onParentAbort, { once: true });
    }
  });
  try {
    const work = (async (): Promise<CallResult> => {
      try {
        const options: RewardCallOptions = groupIds
          ? { signal: controller.signal, groupIds }
          : { signal: controller.signal };
        return { ok: true, scores: await reward.score(inputs, options) };
      } catch (error) {
        return { ok: false, failure: { kind: "threw", message: errorMessage(error) } };
      }
    })();
    return await Promise.race([work, stop]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (parent && onParentAbort) parent.removeEventListener("abort", onParentAbort);
  }
}

function invalid(message: string): ComponentFailure {
  return { kind: "invalid", message };
}

/**
 * A weighted combination of reward functions (plugin `composite`). `score` returns the combined reward;
 * `scoreDetailed` also returns every component's scores and failures so that each is logged as
 * `reward/<label>` (see {@link compositeMetrics}). `null` from a component means it abstains on that
 * sample. A component that throws, times out, or returns something other than one finite number or
 * `null` per input never fails the batch: the failure is recorded per sample in `errors` and scored as
 * `onError` says. Components run concurrently (at most `concurrency` calls at once), each with its own
 * `AbortSignal` that fires after `timeoutMs` or when the caller's signal aborts. A synchronous grader
 * cannot be interrupted; its result is still taken if it finishes, late or not.
 *
 * The caller's `groupIds` (the prompt group of each input) are passed on to the components, and
 * `normalize_then_sum` requires them. To reproduce TRL's advantages, pair `sum_then_normalize` with the
 * `group` advantage estimator at TRL's `scale_rewards`, and `normalize_then_sum` with
 * `{ name: group, scale: batch }` (see {@link Aggregation}); the trainer passes samples whose total is
 * `null` as `Batch.abstained`.
 */
export class CompositeReward implements DetailedRewardFunction {
  readonly name = "composite";
  readonly labels: readonly string[];
  readonly weights: readonly number[];
  private readonly rewards: readonly RewardFunction[];
  private readonly options: Required<CompositeRewardOptions>;

  constructor(parts: readonly CompositePart[], options: CompositeRewardOptions = {}) {
    assertKnownKeys("composite", options, Object.keys(compositeRewardDefaults));
    if (!Array.isArray(parts) || parts.length === 0) {
      throw new ConfigError("composite.components", parts, "list at least one reward component");
    }
    const labels: string[] = [];
    const weights: number[] = [];
    parts.forEach((part, k) => {
      if (part?.reward == null || typeof part.reward.score !== "function") {
        throw new ConfigError(
          `composite.components[${k}]`,
          part?.reward,
          "give a reward function with a score method",
        );
      }
      const label = part.label ?? part.reward.name;
      if (typeof label !== "string" || label.length === 0) {
        throw new ConfigError(`composite.components[${k}].label`, label, "use a non-empty string");
      }
      if (labels.includes(label)) {
        throw new ConfigError(
          `composite.components[${k}].label`,
          label,
          "give each component a unique label (two components of the same reward need label: ...)",
        );
      }
      const weight = part.weight ?? 1;
      assertFiniteNumber(`composite.components[${k}].weight`, weight);
      labels.push(label);
      weights.push(weight);
    });
    const o = {
      ...compositeRewardDefaults,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
    assertOneOf("composite.aggregation", o.aggregation, [
      "sum_then_normalize",
      "normalize_then_sum",
      "sum",
    ] as const);
    assertOneOf("composite.onError", o.onError, ["zero", "abstain"] as const);
    // setTimeout fires at once for delays above 2^31 − 1 ms, so larger values are refused.
    if (typeof o.timeoutMs !== "number" || !(o.timeoutMs >= 0) || !(o.timeoutMs <= 2 ** 31 - 1)) {
      throw new ConfigError(
        "composite.timeoutMs",
        o.timeoutMs,
        "use a number of milliseconds between 0 (no timeout) and 2147483647",
      );
    }
    if (typeof o.concurrency !== "number" || !Number.isInteger(o.concurrency) || o.concurrency < 1) {
      throw new ConfigError("composite.concurrency", o.concurrency, "use a whole number ≥ 1");
    }
    if (typeof o.isolateErrors !== "boolean") {
      throw new ConfigError("composite.isolateErrors", o.isolateErrors, "use true or false");
    }
    if (typeof o.normalizeEps !== "number" || !(o.normalizeEps > 0) || !Number.isFinite(o.normalizeEps)) {
      throw new ConfigError(
        "composite.normalizeEps",
        o.normalizeEps,
        "use a small positive number such as 1e-4",
      );
    }
    this.labels = labels;
    this.weights = weights;
    this.rewards = parts.map((p) => p.reward);
    this.options = o as Required<CompositeRewardOptions>;
  }

  async score(inputs: readonly RewardInput[], options?: RewardCallOptions): Promise<(number | null)[]> {
    return (await this.scoreDetailed(inputs, options)).total;
  }

  async scoreDetailed(
    inputs: readonly RewardInput[],
    options: RewardCallOptions = {},
  ): Promise<CompositeScores> {
    const n = inputs.length;
    const groupIds = checkGroupIds(options.groupIds, n, this.options.aggregation === "normalize_then_sum");
    const limiter = new Limiter(this.options.concurrency);
    const signal = options.signal;
    const perComponent = await Promise.all(
      this.rewards.map((reward) => this.runComponent(reward, inputs, limiter, signal, groupIds)),
    );
    const components: Record<string, (number | null)[]> = {};
    const errors: Record<string, (ComponentFailure | null)[]> = {};
    this.labels.forEach((label, k) => {
      const { scores, failures } = perComponent[k];
      components[label] = scores.map((s, i) =>
        failures[i] === null ? s : this.options.onError === "zero" ? 0 : null,
      );
      errors[label] = failures;
    });
    const total = this.aggregate(
      this.labels.map((label) => components[label]),
      n,
      groupIds,
    );
    return { total, components, errors, labels: this.labels };
  }

  private async runComponent(
    reward: RewardFunction,
    inputs: readonly RewardInput[],
    limiter: Limiter,
    signal: AbortSignal | undefined,
    groupIds: readonly number[] | undefined,
  ): Promise<{ scores: (number | null)[]; failures: (ComponentFailure | null)[] }> {
    const n = inputs.length;
    const scores: (number | null)[] = new Array(n).fill(null);
    const failures: (ComponentFailure | null)[] = new Array(n).fill(null);
    if (n === 0) return { scores, failures };
    const result = await limiter.run(() =>
      callComponent(reward, inputs, this.options.timeoutMs, signal, groupIds),
    );
    if (result.ok) {
      const raw = result.scores as ArrayLike<unknown> | null | undefined;
      if (raw == null || typeof raw !== "object" || typeof raw.length !== "number" || raw.length !== n) {
        const got = raw == null || typeof raw !== "object" ? String(raw) : `${raw.length} scores`;
        failures.fill(invalid(`returned ${got} for ${n} inputs; return one score or null per input`));
        return { scores, failures };
      }
      for (let i = 0; i < n; i++) this.take(raw[i], i, scores, failures);
      return { scores, failures };
    }
    if (result.failure.kind !== "threw" || !this.options.isolateErrors || n === 1) {
      failures.fill(result.failure);
      return { scores, failures };
    }
    // One bad sample should not cost the batch its scores: grade each sample alone.
    await Promise.all(
      inputs.map(async (input, i) => {
        const single = await limiter.run(() =>
          callComponent(reward, [input], this.options.timeoutMs, signal, groupIds && [groupIds[i]]),
        );
        if (!single.ok) failures[i] = single.failure;
        else {
          const raw = single.scores as ArrayLike<unknown> | null | undefined;
          if (raw == null || typeof raw !== "object" || raw.length !== 1) {
            failures[i] = invalid("returned something other than one score for one input");
          } else this.take(raw[0], i, scores, failures);
        }
      }),
    );
    return { scores, failures };
  }

  private take(
    value: unknown,
    i: number,
    scores: (number | null)[],
    failures: (ComponentFailure | null)[],
  ): void {
    if (value === null) scores[i] = null;
    else if (typeof value === "number" && Number.isFinite(value)) scores[i] = value;
    else failures[i] = invalid(`score ${String(value)} is not a finite number or null`);
  }

  private aggregate(
    columns: readonly (number | null)[][],
    n: number,
    groupIds: readonly number[] | undefined,
  ): (number | null)[] {
    const w = this.weights;
    const values =
      this.options.aggregation === "normalize_then_sum"
        ? columns.map((column) => zscoreWithinGroups(column, groupIds!, this.options.normalizeEps))
        : columns;
    const total: (number | null)[] = new Array(n).fill(null);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      let scored = 0;
      for (let k = 0; k < values.length; k++) {
        const v = values[k][i];
        if (v === null) continue;
        sum += w[k] * v;
        scored++;
      }
      // R_i = Σ_{k∈A_i} w_k·x_{k,i}: TRL's (rewards_per_func * reward_weights).nansum(dim=1); every
      // component abstaining leaves the sample unscorable (TRL `unscorable_mask`), here null.
      if (scored > 0) total[i] = sum;
    }
    return total;
  }
}

/**
 * Validates the group id of each input; required (throws naming `groupIds`) when `required`.
 * Returns the ids, or undefined when none were given.
 */
function checkGroupIds(
  groupIds: readonly number[] | undefined,
  n: number,
  required: boolean,
): readonly number[] | undefined {
  if (groupIds == null) {
    if (!required) return undefined;
    throw new ConfigError(
      "groupIds",
      groupIds,
      "aggregation normalize_then_sum z-scores each component within each prompt group; pass " +
        "options.groupIds with one group id per input (the trainer does), or use sum_then_normalize",
    );
  }
  if (typeof groupIds !== "object" || typeof groupIds.length !== "number" || groupIds.length !== n) {
    throw new ConfigError("groupIds", groupIds, `give one group id per input (${n} inputs)`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(groupIds[i])) {
      throw new ConfigError(`groupIds[${i}]`, groupIds[i], "use whole-number group ids (one per prompt)");
    }
  }
  return groupIds;
}

/**
 * One component's scores z-scored within each group over its non-null scores: TRL's
 * `normalize_then_sum`, `mean_k = nanmean(grouped, dim=1)`, `std_k = nanstd(grouped, dim=1)` (sample
 * std), `reward_k = (grouped − mean_k)/(std_k + 1e-4)`. A group with fewer than two scores gives 0
 * (TRL: std_k := 0 for one generation; a lone score's NaN std makes its z NaN, which nansum drops).
 */
function zscoreWithinGroups(
  column: readonly (number | null)[],
  groupIds: readonly number[],
  eps: number,
): (number | null)[] {
  const members = new Map<number, number[]>();
  column.forEach((v, i) => {
    if (v === null) return;
    const list = members.get(groupIds[i]);
    if (list) list.push(i);
    else members.set(groupIds[i], [i]);
  });
  const z: (number | null)[] = column.map((v) => (v === null ? null : 0));
  for (const list of members.values()) {
    if (list.length < 2) continue;
    const x = list.map((i) => column[i] as number);
    // mean_{k,g} = nanmean over the group's scores (TRL normalize_then_sum).
    const mu = mean(x);
    // std_{k,g} = sqrt(Σ(r − mean)²/(n − 1)): TRL's nanstd (Bessel-corrected).
    const std = standardDeviation(x, { sample: true, center: mu });
    // z_{k,i} = (r_{k,i} − mean_{k,g})/(std_{k,g} + eps): TRL's reward_k.
    list.forEach((i, j) => {
      z[i] = (x[j] - mu) / (std + eps);
    });
  }
  return z;
}

/** A component as written in a config: a reward name, or `{ name, weight?, label?, ...options }`. */
export type CompositeComponentSpec =
  | string
  | ({ readonly name: string; readonly weight?: number; readonly label?: string } & Readonly<
      Record<string, unknown>
    >);

/**
 * Builds a {@link CompositeReward} from config options: `components` (a list of
 * {@link CompositeComponentSpec}) built by name through the registry, plus the composite's own options.
 * A component's bad option is reported as `composite.components[k].<field>`.
 */
export function createCompositeReward(
  options: Readonly<Record<string, unknown>>,
  context: PluginContext,
): CompositeReward {
  const { components, ...rest } = options;
  if (!Array.isArray(components) || components.length === 0) {
    throw new ConfigError(
      "composite.components",
      components,
      'list the rewards to combine, e.g. [{ name: "math-correctness", weight: 1 }, { name: "format", weight: 0.5 }]',
    );
  }
  const parts = components.map((spec: unknown, k): CompositePart => {
    const field = `composite.components[${k}]`;
    const entry = typeof spec === "string" ? { name: spec } : spec;
    if (
      entry == null ||
      typeof entry !== "object" ||
      typeof (entry as { name?: unknown }).name !== "string"
    ) {
      throw new ConfigError(
        `${field}.name`,
        spec,
        `name a reward plugin: one of ${context.registry.list("reward").join(", ")}`,
      );
    }
    const { name, weight, label, ...componentOptions } = entry as {
      name: string;
      weight?: unknown;
      label?: unknown;
    };
    if (weight !== undefined) assertFiniteNumber(`${field}.weight`, weight);
    if (label !== undefined && (typeof label !== "string" || label.length === 0)) {
      throw new ConfigError(`${field}.label`, label, "use a non-empty string");
    }
    let reward: RewardFunction;
    try {
      reward = context.registry.create("reward", name, componentOptions, context.container);
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ConfigError(`${field}.${error.field}`, error.value, error.fix);
      throw error;
    }
    return { reward, weight: weight as number | undefined, label: label as string | undefined };
  });
  return new CompositeReward(parts, rest as CompositeRewardOptions);
}
