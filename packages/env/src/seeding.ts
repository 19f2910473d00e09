import { ConfigError, type Rng, rngFromState } from "@rlts/core";

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
 * The generator an environment or prompt order uses for `seed`: xoroshiro128+ (as `createRng`) with its
 * 128-bit state spread from the seed by splitmix32. `createRng(seed)` places a small seed straight into
 * the state, so its first draws for seeds 0, 1, 2, … are all ≈ 0.99999 and nearly equal; every CartPole
 * of a vector env seeded `seed + e` would then start in the same corner of the ±0.05 box.
 */
export function seededRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new ConfigError("seed", seed, "use a whole number, e.g. seed: 42");
  const high = Math.floor(seed / 2 ** 32) | 0;
  let s = (seed | 0) ^ Math.imul(high, 0x85ebca6b);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [value, next] = splitmix32(s);
    words.push(value);
    s = next;
  }
  if (!words.some((w) => w !== 0)) words[0] = 1; // xoroshiro's all-zero state is a fixed point
  return rngFromState({ algorithm: "xoroshiro128plus", state: words });
}
