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
