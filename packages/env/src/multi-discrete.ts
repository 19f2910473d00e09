import { ConfigError, type Rng } from "@rlts/core";
import type { Space } from "./space.js";

/** A vector of independent discrete values, entry `i` in `[0, nvec[i])` (Gymnasium's `MultiDiscrete`). */
export class MultiDiscrete implements Space<Int32Array> {
  readonly kind = "multi-discrete";
  readonly shape: readonly number[];
  readonly size: number;
  readonly nvec: Int32Array;

  constructor(nvec: ArrayLike<number>) {
    if (nvec.length === 0) throw new ConfigError("MultiDiscrete.nvec", nvec, "give at least one count");
    for (let i = 0; i < nvec.length; i++) {
      if (!Number.isInteger(nvec[i]) || nvec[i] < 1 || nvec[i] > 2 ** 31 - 1) {
        throw new ConfigError(`MultiDiscrete.nvec[${i}]`, nvec[i], "use a whole number ≥ 1");
      }
    }
    this.nvec = Int32Array.from(nvec);
    this.shape = [nvec.length];
    this.size = nvec.length;
  }

  sample(rng: Rng): Int32Array {
    const out = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = rng.int(this.nvec[i]);
    return out;
  }

  contains(value: unknown): value is Int32Array {
    if (value == null || typeof value !== "object" || !("length" in value)) return false;
    const arr = value as ArrayLike<unknown>;
    if (arr.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = arr[i];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= this.nvec[i]) return false;
    }
    return true;
  }

  toString(): string {
    return `MultiDiscrete([${[...this.nvec].join(", ")}])`;
  }
}
