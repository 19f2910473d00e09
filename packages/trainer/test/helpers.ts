import { createRng } from "@rlts/core";
import { makeVecEnv } from "@rlts/env";

/** Mean return of `episodes` CartPole-v1 episodes with uniformly random actions: the baseline to beat. */
export function randomCartPoleReturn(episodes: number, seed: number): number {
  const vec = makeVecEnv("CartPole-v1", episodes);
  const rng = createRng(seed);
  vec.reset({ seed });
  const returns = new Float64Array(episodes);
  const done = new Uint8Array(episodes);
  let remaining = episodes;
  while (remaining > 0) {
    const r = vec.step(Int32Array.from({ length: episodes }, () => rng.int(2)));
    for (let e = 0; e < episodes; e++) {
      if (done[e]) continue;
      returns[e] += r.rewards[e];
      if (r.terminated[e] || r.truncated[e]) {
        done[e] = 1;
        remaining--;
      }
    }
  }
  return returns.reduce((s, x) => s + x, 0) / episodes;
}

/** Mean return of `episodes` Pendulum-v1 episodes with torques uniform in [−2, 2]: the baseline to beat. */
export function randomPendulumReturn(episodes: number, seed: number): number {
  const vec = makeVecEnv("Pendulum-v1", episodes);
  const rng = createRng(seed);
  vec.reset({ seed });
  const returns = new Float64Array(episodes);
  const done = new Uint8Array(episodes);
  let remaining = episodes;
  while (remaining > 0) {
    const r = vec.step(Float32Array.from({ length: episodes }, () => 4 * rng.next() - 2));
    for (let e = 0; e < episodes; e++) {
      if (done[e]) continue;
      returns[e] += r.rewards[e];
      if (r.terminated[e] || r.truncated[e]) {
        done[e] = 1;
        remaining--;
      }
    }
  }
  return returns.reduce((s, x) => s + x, 0) / episodes;
}
