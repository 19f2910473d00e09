import {
  assertFinite,
  assertInteger,
  assertLength,
  type Batch,
  type BatchField,
  ConfigError,
  NonFiniteError,
  ShapeError,
} from "@rlts/core";

/** A batch after {@link checkBatch}: its size and its episode-end flags as 0/1 bytes. */
export interface CheckedBatch {
  /** T·E, the number of steps (or completions) in the batch. */
  readonly n: number;
  /** `batch.terminated` as 0/1 (the same array when it already was a 0/1 `Uint8Array`). */
  readonly terminated: Uint8Array;
  /** `batch.truncated` as 0/1. */
  readonly truncated: Uint8Array;
  /** `batch.abstained` (checked: length T·E, entries 0/1), or undefined when no sample abstained. */
  readonly abstained: Uint8Array | undefined;
}

/**
 * Checks the shape every estimator relies on: `numSteps`/`numEnvs` whole numbers ≥ 1, `rewards`
 * finite with length T·E, episode-end flags (and `abstained`, if given) of length T·E holding only
 * 0/1 or booleans, and every field in `requires` present. Returns the flags as 0/1 bytes, so no
 * kernel reads a boolean.
 */
export function checkBatch(batch: Batch, estimator: string, requires: readonly BatchField[]): CheckedBatch {
  assertInteger("batch.numSteps", batch.numSteps, 1);
  assertInteger("batch.numEnvs", batch.numEnvs, 1);
  const n = batch.numSteps * batch.numEnvs;
  assertLength("rewards", batch.rewards, n, "rewards (numSteps × numEnvs)");
  assertFinite("rewards", batch.rewards);
  const terminated = checkFlags("terminated", batch.terminated, n, "flags (numSteps × numEnvs)");
  const truncated = checkFlags("truncated", batch.truncated, n, "flags (numSteps × numEnvs)");
  const abstained =
    batch.abstained == null
      ? undefined
      : checkFlags("abstained", batch.abstained, n, "flags (numSteps × numEnvs)");
  for (const field of requires) {
    if (batch[field] == null) {
      throw new ShapeError(
        field,
        `batch.${field} (the "${estimator}" advantage estimator requires it; ${fieldHelp[field]})`,
        "undefined",
      );
    }
  }
  return { n, terminated, truncated, abstained: abstained?.includes(1) ? abstained : undefined };
}

/**
 * Throws for an estimator that cannot honour `batch.abstained` (a step's reward cannot be left out of
 * a discounted sum) when some sample abstained.
 */
export function rejectAbstained(abstained: Uint8Array | undefined, estimator: string): void {
  if (abstained === undefined) return;
  const i = abstained.indexOf(1);
  throw new ConfigError(
    `abstained[${i}]`,
    1,
    `the "${estimator}" estimator sums rewards along each trajectory and cannot leave a step out; ` +
      "give every step a reward (and leave batch.abstained unset), or use an estimator that ignores " +
      "abstaining samples (group, rloo)",
  );
}

/**
 * Rewards in which `null` abstains (the plain-function form of `batch.abstained`): the rewards with 0
 * in place of each `null`, checked finite, and the abstention flags (undefined when none is `null`).
 */
export function splitAbstentions(
  field: string,
  values: ArrayLike<number | null>,
): { readonly rewards: ArrayLike<number>; readonly abstained: Uint8Array | undefined } {
  let abstained: Uint8Array | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      abstained ??= new Uint8Array(values.length);
      abstained[i] = 1;
    } else if (!Number.isFinite(v)) throw new NonFiniteError(field, i, v);
  }
  if (abstained === undefined) return { rewards: values as ArrayLike<number>, abstained };
  return { rewards: Float64Array.from(values, (v) => v ?? 0), abstained };
}

/**
 * Checks a flag array's length and that every entry is 0, 1, `false` or `true` (Gymnasium returns
 * booleans), and returns it as 0/1 bytes: the same object when it already is a 0/1 `Uint8Array`.
 */
export function checkFlags(
  field: string,
  flags: ArrayLike<number | boolean>,
  length: number,
  what: string,
): Uint8Array {
  assertLength(field, flags, length, what);
  if (flags instanceof Uint8Array) {
    for (let i = 0; i < length; i++) if (flags[i] > 1) throw badFlag(field, i, flags[i]);
    return flags;
  }
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const v = flags[i];
    if (v === 1 || v === true) bytes[i] = 1;
    else if (v !== 0 && v !== false) throw badFlag(field, i, v);
  }
  return bytes;
}

function badFlag(field: string, index: number, value: unknown): ConfigError {
  return new ConfigError(`${field}[${index}]`, value, "use 0/1 or false/true (one flag per step)");
}

const fieldHelp: Record<BatchField, string> = {
  values: "record V(s_t) of every step, length numSteps × numEnvs",
  truncationValues:
    "record V(final observation) where a step was truncated by a time limit, length numSteps × numEnvs",
  lastValues: "record V of the observation after the last step of each env, length numEnvs",
  groupIds: "give each sample the id of its prompt or start state, length numSteps × numEnvs",
  logprobs: "record log π_old(a_t|s_t), length numSteps × numEnvs",
  processRewards: "score each reasoning step with a process reward model",
  actionSamples: "sample several actions at each visited state and record their rewards",
};

/** Checks a required array's length and that every entry is finite. */
export function checkFiniteArray(
  field: string,
  values: ArrayLike<number>,
  length: number,
  what: string,
): void {
  assertLength(field, values, length, what);
  assertFinite(field, values);
}

/** Throws {@link NonFiniteError} unless `values[index]` is finite: for arrays read only at some indices. */
export function checkFiniteAt(field: string, values: ArrayLike<number>, index: number): number {
  const v = values[index];
  if (!Number.isFinite(v)) throw new NonFiniteError(field, index, v);
  return v;
}

/** {@link checkFiniteAt} for the hot loops: the check is inlined and the error built only on failure. */
export function finiteAt(field: string, values: Float64Array, index: number): number {
  const v = values[index];
  if (v - v !== 0) throw new NonFiniteError(field, index, v);
  return v;
}

/** `values` as a Float64Array (the same object when it already is one), so the kernels stay monomorphic. */
export function toFloat64(values: ArrayLike<number>): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values);
}
