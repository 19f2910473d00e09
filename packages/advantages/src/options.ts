import { assertInRange, assertOneOf, ConfigError, type PluginOptions } from "@rlts/core";

/** Which standard deviation normalises: Bessel-corrected (`torch.std`, TRL, verl) or population. */
export type StdKind = "sample" | "population";

/** The two {@link StdKind} values, for validation. */
export const stdKinds: readonly StdKind[] = ["sample", "population"];

/** Config path prefix of every option of this package, as written in a run config. */
export const optionPrefix = "advantage";

/**
 * Throws {@link ConfigError} for a key that `defaults` does not know: a typo such as `lamda` must not
 * silently fall back to the default.
 */
export function rejectUnknownOptions(options: PluginOptions, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (key === "name" || known.includes(key)) continue;
    throw new ConfigError(
      `${optionPrefix}.${key}`,
      options[key],
      `remove it; known options: ${known.join(", ")}`,
    );
  }
}

/**
 * `defaults` overridden by the options that are set; an option given as `undefined` keeps its default
 * (a config that writes `gamma: ~` means "the default", not "no discount").
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T> | PluginOptions): T {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  return merged as T;
}

/** A discount or trace factor in [0, 1]. */
export function checkUnit(name: string, value: unknown): number {
  assertInRange(`${optionPrefix}.${name}`, value as number, 0, 1);
  return value as number;
}

/** A finite number ≥ 0 (an epsilon). */
export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${optionPrefix}.${name}`, value, "use a finite number ≥ 0, e.g. 1e-8");
  }
  return value;
}

/** A finite number > 0. */
export function checkPositive(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${optionPrefix}.${name}`, value, "use a finite number > 0, e.g. 1");
  }
  return value;
}

/** A boolean flag. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new ConfigError(`${optionPrefix}.${name}`, value, "use true or false");
  }
  return value;
}

/** One of `allowed`. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  assertOneOf(`${optionPrefix}.${name}`, value, allowed);
  return value;
}

/** A whole number ≥ `min`, or undefined. */
export function checkOptionalInteger(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${optionPrefix}.${name}`, value, `use a whole number ≥ ${min}, or leave it out`);
  }
  return value;
}
