import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";
import { ConfigError } from "./errors.js";
import { token } from "./token.js";

/** Serialisable state of an {@link Rng}: restore it with {@link rngFromState}. */
export interface RngState {
  readonly algorithm: "xoroshiro128plus";
  readonly state: readonly number[];
}

/**
 * A seeded, splittable random number generator (xoroshiro128+ from `pure-rand`). Everything random in
 * rlts takes one, so the same seed gives the same run.
 */
export interface Rng {
  /** A uniform float in [0, 1) with 53 random bits. */
  next(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A standard normal sample (Box–Muller on two uniforms). */
  normal(): number;
  /**
   * A new generator whose stream does not overlap this one's: the child starts where this generator is,
   * and this generator jumps 2^64 steps ahead.
   */
  split(): Rng;
  /** The state, to checkpoint and restore with {@link rngFromState}. */
  getState(): RngState;
}

/** Injection token for the run's root {@link Rng}. */
export const Rng = token<Rng>("@rlts/core/Rng");

class XoroshiroRng implements Rng {
  constructor(private readonly gen: JumpableRandomGenerator) {}

  next(): number {
    return uniformFloat64(this.gen);
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new ConfigError("rng.int(n)", n, "n must be a whole number ≥ 1");
    return uniformInt(this.gen, 0, n - 1);
  }

  normal(): number {
    // Box–Muller; 1 − u keeps the argument of log in (0, 1].
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  split(): Rng {
    const child = this.gen.clone();
    this.gen.jump();
    return new XoroshiroRng(child);
  }

  getState(): RngState {
    return { algorithm: "xoroshiro128plus", state: [...this.gen.getState()] };
  }
}

/** One step of splitmix32 (a Weyl sequence through a 32-bit avalanche finaliser). */
function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) | 0;
  let t = next ^ (next >>> 16);
  t = Math.imul(t, 0x21f0aaad);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a2d97);
  t ^= t >>> 15;
  return [t | 0, next];
}

/**
 * Creates a generator from an integer seed (any safe integer). The 128-bit xoroshiro state is spread
 * from the seed by splitmix32: seeding xoroshiro with a small integer directly gives nearly equal first
 * draws for seeds 0, 1, 2, … (so vector envs seeded `seed + e` would all start alike).
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new ConfigError("seed", seed, "use a whole number, e.g. seed: 42");
  const high = Math.floor(seed / 2 ** 32) | 0;
  let s = (seed | 0) ^ Math.imul(high, 0x85ebca6b);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [value, next] = splitmix32(s);
    words.push(value);
    s = next;
  }
  if (!words.some((w) => w !== 0)) words[0] = 1; // the all-zero state is a fixed point of xoroshiro
  return new XoroshiroRng(xoroshiro128plusFromState(words));
}

/** Restores a generator saved with {@link Rng.getState}. */
export function rngFromState(state: RngState): Rng {
  if (state?.algorithm !== "xoroshiro128plus" || !Array.isArray(state.state)) {
    throw new ConfigError("rngState", state, "pass the object returned by rng.getState()");
  }
  return new XoroshiroRng(xoroshiro128plusFromState(state.state));
}

/** Anything indexable by position whose entries can be swapped: arrays and typed arrays. */
export interface Shuffleable<T> {
  readonly length: number;
  [index: number]: T;
}

/**
 * Shuffles `values` in place with `rng` and returns it: Fisher–Yates (Knuth, TAOCP vol. 2 §3.4.2,
 * Algorithm P), i from n − 1 down to 1 swapping entry i with entry `rng.int(i + 1)`: n − 1 draws in a
 * fixed order, so a seed gives the same order everywhere.
 */
export function shuffleInPlace<T, A extends Shuffleable<T>>(values: A, rng: Rng): A {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
  return values;
}

/** A uniformly random permutation of 0, 1, …, n − 1 ({@link shuffleInPlace} of the identity). */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}
