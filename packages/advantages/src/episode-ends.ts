import { assertLength, ConfigError } from "@rlts/core";
import { checkFiniteAt } from "./batch-checks.js";

/** How a step cut by a time limit is treated. */
export type TruncationMode = "bootstrap" | "terminal";

/** The two {@link TruncationMode} values, for validation. */
export const truncationModes: readonly TruncationMode[] = ["bootstrap", "terminal"];

/**
 * Which bootstrap values a rollout actually reads: V(final observation) at every step that is truncated
 * but not terminated (`terminated` wins: a terminal state has no future value to bootstrap), and V(s_T)
 * for each env whose last step did not end its episode. Used to fail with a clear message before the
 * maths when such a value is missing.
 */
export function bootstrapNeeds(
  numSteps: number,
  numEnvs: number,
  terminated: ArrayLike<number>,
  truncated: ArrayLike<number>,
  mode: TruncationMode,
): { readonly truncation: boolean; readonly last: boolean } {
  let truncation = false;
  let last = false;
  const n = numSteps * numEnvs;
  for (let i = 0; i < n; i++) {
    if (mode === "bootstrap" && truncated[i] !== 0 && terminated[i] === 0) truncation = true;
  }
  const lastRow = (numSteps - 1) * numEnvs;
  for (let e = 0; e < numEnvs; e++) {
    const i = lastRow + e;
    const done = terminated[i] !== 0 || truncated[i] !== 0;
    if (!done) last = true;
  }
  return { truncation, last };
}

/** Error for an input (a bootstrap value, a baseline) the computation needs but the caller left out. */
export function missingInput(field: string, why: string): ConfigError {
  return new ConfigError(field, undefined, why);
}

/** The bootstrap values of one env's rollout, as `computeGae` and `computeReturns` take them. */
export interface BootstrapInput {
  readonly truncationValues?: ArrayLike<number>;
  readonly lastValue?: number;
}

/**
 * Checks the bootstrap values one env's T steps read (see {@link bootstrapNeeds}) and returns V(s_T)
 * as a one-entry array, or undefined when the last step ended its episode. A missing value throws
 * {@link missingInput}; `otherwise` completes each message with the option that does without it.
 */
export function checkBootstrapInput(
  input: BootstrapInput,
  terminated: Uint8Array,
  truncated: Uint8Array,
  mode: TruncationMode,
  otherwise: { readonly truncation: string; readonly last: string },
): Float64Array | undefined {
  const T = terminated.length;
  const needs = bootstrapNeeds(T, 1, terminated, truncated, mode);
  if (needs.truncation) {
    if (input.truncationValues == null) {
      throw missingInput(
        "truncationValues",
        `a step is truncated, so pass V(final observation) for it${otherwise.truncation}`,
      );
    }
    assertLength("truncationValues", input.truncationValues, T, "values (one per reward)");
  }
  if (!needs.last) return undefined;
  if (input.lastValue === undefined) {
    throw missingInput(
      "lastValue",
      `the last step did not end its episode, so pass V of the observation after it${otherwise.last}`,
    );
  }
  const lastValues = Float64Array.of(input.lastValue);
  checkFiniteAt("lastValue", lastValues, 0);
  return lastValues;
}
