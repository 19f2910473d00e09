import type { Rng } from "@rlts/core";

/**
 * A set of valid observations or actions (Gymnasium's `Space`). `sample` draws from the set with the
 * caller's seeded {@link Rng}; `contains` is the membership test every `step` uses to reject bad actions.
 */
export interface Space<T> {
  /** `"discrete"`, `"box"` or `"multi-discrete"`. */
  readonly kind: string;
  /** Shape of one element: `[]` for a Discrete value, `[n]` for a vector. */
  readonly shape: readonly number[];
  /** Number of numbers in one element when flattened (1 for Discrete). VecEnv buffers use it. */
  readonly size: number;
  /** A uniformly drawn element (Box: see its JSDoc for unbounded dimensions). */
  sample(rng: Rng): T;
  /** Whether `value` is an element of the space: right type, shape and bounds. */
  contains(value: unknown): value is T;
  /** A short description for error messages, e.g. `Discrete(2)`. */
  toString(): string;
}

/** Writes a space element into `out` at `offset` as flat numbers (Discrete: one number). */
export function flattenInto(value: unknown, out: Float32Array | Float64Array, offset: number): void {
  if (typeof value === "number") {
    out[offset] = value;
    return;
  }
  if (value instanceof Float32Array || value instanceof Float64Array) {
    out.set(value, offset);
    return;
  }
  const arr = value as ArrayLike<number>;
  for (let i = 0; i < arr.length; i++) out[offset + i] = arr[i];
}
