import {
  assertFinite,
  assertInteger,
  assertLength,
  type Batch,
  type BatchField,
  NonFiniteError,
  ShapeError,
} from "@rlts/core";

/**
 * Checks the shape every estimator relies on: `numSteps`/`numEnvs` whole numbers ≥ 1, `rewards`
 * finite with length T·E, episode-end flags of length T·E, and every field in `requires` present.
 * @returns T·E, the number of steps in the batch.
 */
export function checkBatch(batch: Batch, estimator: string, requires: readonly BatchField[]): number {
  assertInteger("batch.numSteps", batch.numSteps, 1);
  assertInteger("batch.numEnvs", batch.numEnvs, 1);
  const n = batch.numSteps * batch.numEnvs;
  assertLength("rewards", batch.rewards, n, "rewards (numSteps × numEnvs)");
  assertFinite("rewards", batch.rewards);
  assertLength("terminated", batch.terminated, n, "flags (numSteps × numEnvs)");
  assertLength("truncated", batch.truncated, n, "flags (numSteps × numEnvs)");
  for (const field of requires) {
    if (batch[field] == null) {
      throw new ShapeError(
        field,
        `batch.${field} (the "${estimator}" advantage estimator requires it; ${fieldHelp[field]})`,
        "undefined",
      );
    }
  }
  return n;
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

/** Episode-end flags as a Uint8Array of 0/1 (any truthy entry counts as set). */
export function toFlags(flags: ArrayLike<number | boolean>): Uint8Array {
  if (flags instanceof Uint8Array) return flags;
  return Uint8Array.from(flags as ArrayLike<number>, (x) => (x ? 1 : 0));
}
