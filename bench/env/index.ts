// CartPole-v1 throughput: a bare CartPoleEnv, CartPole-v1 from makeEnv (TimeLimit +
// RecordEpisodeStatistics), a SyncVecEnv of 16 such envs and the flat-array CartPoleVecEnv of 16 (both
// same-step autoreset). Figures are env steps per second; compare the ratios printed in the same run.
import { createRng } from "@rlts/core";
import {
  CartPoleEnv,
  CartPoleVecEnv,
  type Env,
  makeEnv,
  makeVecEnv,
  type VecEnv,
} from "../../packages/env/src/index.js";

const seconds = Number(process.argv[2] ?? 1.5);
const actions = new Uint8Array(1 << 20);
{
  const rng = createRng(0);
  for (let i = 0; i < actions.length; i++) actions[i] = rng.int(2);
}
const mask = actions.length - 1;

function timeSingle(env: Env<Float32Array, number>): { stepsPerSecond: number; episodes: number } {
  env.reset({ seed: 0 });
  let steps = 0;
  let episodes = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let k = 0; k < 10_000; k++) {
      const r = env.step(actions[steps++ & mask]);
      if (r.terminated || r.truncated) {
        episodes++;
        env.reset();
      }
    }
    elapsed = performance.now() - start;
  }
  return { stepsPerSecond: (steps / elapsed) * 1000, episodes };
}

function timeVec(vec: VecEnv): number {
  const numEnvs = vec.numEnvs;
  vec.reset({ seed: 0 });
  const batch = new Int32Array(numEnvs);
  let steps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let k = 0; k < 1000; k++) {
      for (let e = 0; e < numEnvs; e++) batch[e] = actions[(steps + e) & mask];
      vec.step(batch);
      steps += numEnvs;
    }
    elapsed = performance.now() - start;
  }
  return (steps / elapsed) * 1000;
}

// Warm up the JIT on every path once, then measure.
timeSingle(new CartPoleEnv());
timeSingle(makeEnv("CartPole-v1") as Env<Float32Array, number>);
timeVec(makeVecEnv("CartPole-v1", 16));
timeVec(new CartPoleVecEnv(16));

const bare = timeSingle(new CartPoleEnv());
console.log(`CartPoleEnv (bare):         ${(bare.stepsPerSecond / 1e6).toFixed(2)} M steps/s`);
const wrapped = timeSingle(makeEnv("CartPole-v1") as Env<Float32Array, number>);
console.log(`makeEnv("CartPole-v1"):     ${(wrapped.stepsPerSecond / 1e6).toFixed(2)} M steps/s`);
const vec16 = timeVec(makeVecEnv("CartPole-v1", 16));
console.log(`SyncVecEnv × 16 (makeEnv):  ${(vec16 / 1e6).toFixed(2)} M env-steps/s`);
const native16 = timeVec(new CartPoleVecEnv(16));
console.log(`CartPoleVecEnv × 16:        ${(native16 / 1e6).toFixed(2)} M env-steps/s`);
console.log(
  JSON.stringify({
    cartpoleSingleStepsPerSecond: Math.round(bare.stepsPerSecond),
    cartpoleMakeEnvStepsPerSecond: Math.round(wrapped.stepsPerSecond),
    cartpoleVecEnv16StepsPerSecond: Math.round(vec16),
    cartpoleNativeVecEnv16StepsPerSecond: Math.round(native16),
    wrappersOverBare: Number((wrapped.stepsPerSecond / bare.stepsPerSecond).toFixed(3)),
    vec16OverMakeEnv: Number((vec16 / wrapped.stepsPerSecond).toFixed(3)),
    nativeVec16OverBare: Number((native16 / bare.stepsPerSecond).toFixed(3)),
    secondsPerMeasurement: seconds,
  }),
);
