import { assertInteger, ConfigError, type Rng } from "@rlts/core";
import type { Space } from "./space.js";

/** `{start, start + 1, ..., start + n − 1}` (Gymnasium's `Discrete(n, start)`). Elements are plain numbers. */
export class Discrete implements Space<number> {
  readonly kind = "discrete";
  readonly shape: readonly number[] = [];
  readonly size = 1;

  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    assertInteger("Discrete.n", n, 1);
    if (!Number.isSafeInteger(start)) throw new ConfigError("Discrete.start", start, "use a whole number");
  }

  sample(rng: Rng): number {
    return this.start + rng.int(this.n);
  }

  contains(value: unknown): value is number {
    return (
      typeof value === "number" &&
      Number.isInteger(value) &&
      value >= this.start &&
      value < this.start + this.n
    );
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}
