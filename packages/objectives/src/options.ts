import { ConfigError } from "@rlts/core";

/**
 * Throws {@link ConfigError} for an option name the objective does not know, so a typo in a config
 * (`clipCoef` for `clipRange`) fails loudly instead of silently using the default.
 */
export function assertKnownOptions(prefix: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${prefix}.${key}`,
        (options as Record<string, unknown>)[key],
        `unknown option; use one of ${known.join(", ")}`,
      );
    }
  }
}

/** Throws {@link ConfigError} unless `value` is a finite number ≥ `min` (and > `min` when `open`). */
export function assertNumber(
  field: string,
  value: unknown,
  min: number,
  open = false,
): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || (open && value === min)) {
    throw new ConfigError(field, value, `use a finite number ${open ? ">" : "≥"} ${min}`);
  }
}

/** Throws {@link ConfigError} unless `value` is a boolean. */
export function assertBoolean(field: string, value: unknown): asserts value is boolean {
  if (typeof value !== "boolean") throw new ConfigError(field, value, "use true or false");
}

/** A copy of `o` without its `undefined` entries, so spreading it over defaults keeps the defaults. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
