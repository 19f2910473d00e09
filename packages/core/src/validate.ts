import { ConfigError, NonFiniteError, ShapeError } from "./errors.js";

/** Throws {@link NonFiniteError} naming `field` and the first index holding NaN or ±Infinity. */
export function assertFinite(field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new NonFiniteError(field, i, v);
  }
}

/** Throws {@link ShapeError} unless `values.length === expected`. */
export function assertLength(
  field: string,
  values: ArrayLike<unknown>,
  expected: number,
  what = "entries",
): void {
  if (values.length !== expected) {
    throw new ShapeError(field, `${expected} ${what}`, `${values.length}`);
  }
}

/** Throws {@link ConfigError} unless `value` is a finite number within `[min, max]`. */
export function assertInRange(field: string, value: number, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(field, value, `use a number between ${min} and ${max}`);
  }
}

/** Throws {@link ConfigError} unless `value` is an integer ≥ `min`. */
export function assertInteger(field: string, value: number, min = 0): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigError(field, value, `use a whole number ≥ ${min}`);
  }
}

/** Throws {@link ConfigError} unless `value` is one of `allowed`. Narrows the type. */
export function assertOneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new ConfigError(field, value, `use one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  }
}
