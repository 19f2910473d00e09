import { ConfigError } from "@rlts/core";

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
