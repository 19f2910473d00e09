import { createRng, type PluginOptions, type Rng } from "@rlts/core";
import { makeVecEnv } from "@rlts/env";
import type { MlpActions } from "@rlts/lm";
import type { DependencyContainer } from "tsyringe";

/** Options of {@link evaluateGreedy}. */
export interface EvaluateOptions {
  /** Episodes, one per environment of a vector env. */
  readonly episodes: number;
  /** Env `e` is reset with `seed + e`. */
  readonly seed: number;
}

/** What {@link evaluateGreedy} needs of a policy: greedy actions (backend-tfjs `MlpPolicy`, an engine's MLP). */
export interface GreedyActor {
  act(obs: Float32Array, rng: Rng, options: { readonly greedy: true }): MlpActions | Promise<MlpActions>;
}

/**
 * Mean return of `episodes` greedy episodes (the policy's mode): one episode per environment of a
 * fresh vector env, each counted until its first episode ends.
 */
export async function evaluateGreedy(
  policy: GreedyActor,
  envId: string,
  envOptions: PluginOptions,
  container: DependencyContainer,
  options: EvaluateOptions,
): Promise<number> {
  const vec = makeVecEnv(envId, options.episodes, envOptions, container);
  // Greedy actions draw nothing; the generator only satisfies the signature.
  const rng = createRng(options.seed);
  let obs = Float32Array.from(vec.reset({ seed: options.seed }).obs);
  const returns = new Float64Array(options.episodes);
  const done = new Uint8Array(options.episodes);
  let remaining = options.episodes;
  while (remaining > 0) {
    const { actions } = await policy.act(obs, rng, { greedy: true });
    const r = vec.step(actions);
    for (let e = 0; e < options.episodes; e++) {
      if (done[e]) continue;
      returns[e] += r.rewards[e];
      if (r.terminated[e] || r.truncated[e]) {
        done[e] = 1;
        remaining--;
      }
    }
    obs = Float32Array.from(r.obs);
  }
  vec.close();
  let total = 0;
  for (const x of returns) total += x;
  return total / options.episodes;
}
