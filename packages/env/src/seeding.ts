import { createRng, type Rng } from "@rlts/core";

/**
 * The generator an environment or prompt order uses for `seed`. Kept as a named export for callers of
 * earlier versions; it is `createRng` from @rlts/core, which spreads the seed over the full state.
 */
export function seededRng(seed: number): Rng {
  return createRng(seed);
}
