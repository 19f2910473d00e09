import { ConfigError, type Rng } from "@rlts/core";
import type { Space } from "./space.js";

/** Element type of a {@link Box}. Gymnasium's classic-control boxes are float32. */
export type BoxDtype = "float32" | "float64";

/**
 * A box `[low, high]` in R^n (Gymnasium's `Box`), elements are `Float32Array` (or `Float64Array` for
 * `dtype: "float64"`). Bounds may be ±Infinity. `contains` also accepts a plain `number[]` of the right
 * length, which is what a hand-written action usually is. Type a float64 box as
 * `new Box<Float64Array>(low, high, shape, "float64")`.
 */
export class Box<T extends Float32Array | Float64Array = Float32Array> implements Space<T> {
  readonly kind = "box";
  readonly shape: readonly number[];
  readonly size: number;
  /** Lower bounds, stored in the box's dtype (so float32 bounds compare like numpy's). */
  readonly low: Float32Array | Float64Array;
  /** Upper bounds, stored in the box's dtype. */
  readonly high: Float32Array | Float64Array;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape?: readonly number[],
    readonly dtype: BoxDtype = "float32",
  ) {
    const lowLen = typeof low === "number" ? undefined : low.length;
    const highLen = typeof high === "number" ? undefined : high.length;
    const size = shape ? shape.reduce((a, b) => a * b, 1) : (lowLen ?? highLen);
    if (size === undefined || !Number.isInteger(size) || size < 1) {
      throw new ConfigError("Box.shape", shape, "give a shape, or low/high as arrays of equal length ≥ 1");
    }
    if ((lowLen !== undefined && lowLen !== size) || (highLen !== undefined && highLen !== size)) {
      throw new ConfigError("Box.low/high", { low: lowLen, high: highLen }, `give arrays of length ${size}`);
    }
    this.size = size;
    this.shape = shape ? [...shape] : [size];
    const Ctor = dtype === "float64" ? Float64Array : Float32Array;
    this.low = new Ctor(size);
    this.high = new Ctor(size);
    for (let i = 0; i < size; i++) {
      const lo = typeof low === "number" ? low : low[i];
      const hi = typeof high === "number" ? high : high[i];
      if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
        throw new ConfigError(`Box.low[${i}]/high[${i}]`, [lo, hi], "use numbers with low ≤ high");
      }
      this.low[i] = lo;
      this.high[i] = hi;
    }
  }

  /**
   * Draws each entry as Gymnasium's `Box.sample` does: uniform on a bounded interval, standard normal
   * when unbounded on both sides, `low + Exp(1)` / `high − Exp(1)` when bounded on one side only.
   */
  sample(rng: Rng): T {
    const out = this.dtype === "float64" ? new Float64Array(this.size) : new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const boundedBelow = lo > Number.NEGATIVE_INFINITY;
      const boundedAbove = hi < Number.POSITIVE_INFINITY;
      if (boundedBelow && boundedAbove) out[i] = lo + (hi - lo) * rng.next();
      else if (!boundedBelow && !boundedAbove) out[i] = rng.normal();
      else if (boundedBelow) out[i] = lo - Math.log(1 - rng.next());
      else out[i] = hi + Math.log(1 - rng.next());
    }
    return out as T;
  }

  contains(value: unknown): value is T {
    if (value == null || typeof value !== "object" || !("length" in value)) return false;
    const arr = value as ArrayLike<unknown>;
    if (arr.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = arr[i];
      // NaN fails both comparisons, so it is never contained.
      if (typeof v !== "number" || !(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  toString(): string {
    const fmt = (a: ArrayLike<number>) => (a.length <= 6 ? `[${Array.from(a).join(", ")}]` : `(${a.length})`);
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, ${this.dtype})`;
  }
}
