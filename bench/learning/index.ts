// Learning benchmarks of the on-policy trainer: each run trains until a greedy evaluation (20
// episodes) reaches the threshold or the step budget is spent, and prints one JSON line with the
// steps to threshold and wall time. The last line sums up, with the PPO CartPole env steps per second
// as a ratio to bare CartPole stepping measured in the same process.
//
//   pnpm bench learning                      every run, seeds 1, 2, 3
//   pnpm bench learning ppo-cartpole --seeds=1
import "reflect-metadata";
import { createRng } from "@rlts/core";
import { makeVecEnv } from "../../packages/env/src/index.js";
import { type OnPolicyOptions, OnPolicyTrainer } from "../../packages/trainer/src/index.js";

interface RunSpec {
  readonly name: string;
  readonly threshold: number;
  readonly budget: number;
  readonly evalEvery: number;
  readonly options: OnPolicyOptions;
}

const runs: RunSpec[] = [
  {
    // SB3-zoo hyper-parameters for CartPole-v1 PPO (constant clip instead of the zoo's linear schedule).
    name: "ppo-cartpole",
    threshold: 475,
    budget: 100_000,
    evalEvery: 8_192,
    options: {
      env: "CartPole-v1",
      numEnvs: 8,
      numSteps: 32,
      advantage: { name: "gae", gamma: 0.98, lambda: 0.8 },
      objective: { name: "ppo", entropyCoef: 0, clipRange: 0.2 },
      epochs: 20,
      minibatches: 1,
      lr: 1e-3,
      annealLr: true,
    },
  },
  {
    name: "trpo-cartpole",
    threshold: 475,
    budget: 150_000,
    evalEvery: 10_240,
    options: {
      env: "CartPole-v1",
      numEnvs: 8,
      numSteps: 256,
      advantage: { name: "gae", gamma: 0.99, lambda: 0.97 },
      objective: { name: "trpo", maxKl: 0.01 },
      minibatches: 8,
      valueEpochs: 10,
      lr: 1e-3,
      annealLr: false,
    },
  },
  {
    name: "reinforce-baseline-cartpole",
    threshold: 400,
    budget: 300_000,
    evalEvery: 20_480,
    options: {
      env: "CartPole-v1",
      numEnvs: 8,
      numSteps: 256,
      advantage: { name: "returns", gamma: 0.99, baseline: true },
      objective: { name: "reinforce", baseline: true, normalizeAdvantages: "population-std" },
      epochs: 1,
      minibatches: 1,
      lr: 3e-3,
      annealLr: false,
    },
  },
  {
    name: "grpo-groups-cartpole",
    threshold: 475,
    budget: 200_000,
    evalEvery: 10_000,
    options: {
      env: "CartPole-v1",
      rollout: "groups",
      numGroups: 4,
      groupSize: 8,
      advantage: { name: "group" },
      objective: { name: "grpo" },
      epochs: 4,
      minibatches: 4,
      lr: 5e-4,
    },
  },
  {
    name: "ppo-pendulum",
    threshold: -250,
    budget: 300_000,
    evalEvery: 16_384,
    options: {
      // Rewards scaled by the running std of the discounted return (SB3-zoo `normalize`); evaluation
      // runs on the unwrapped rewards.
      env: { name: "Pendulum-v1", clipAction: true, normalizeReward: true },
      evalEnv: { name: "Pendulum-v1", clipAction: true },
      numEnvs: 4,
      numSteps: 1024,
      advantage: { name: "gae", gamma: 0.9, lambda: 0.95 },
      objective: { name: "ppo", entropyCoef: 0, clipRange: 0.2 },
      epochs: 10,
      minibatches: 16,
      lr: 1e-3,
      annealLr: true,
    },
  },
];

const args = process.argv.slice(2);
const seedArg = args.find((a) => a.startsWith("--seeds="));
const seeds = seedArg ? seedArg.slice("--seeds=".length).split(",").map(Number) : [1, 2, 3];
const selected = args.filter((a) => !a.startsWith("--"));
const chosen = selected.length ? runs.filter((r) => selected.includes(r.name)) : runs;
if (chosen.length === 0) {
  console.error(`unknown run; known: ${runs.map((r) => r.name).join(", ")}`);
  process.exit(2);
}

/** Bare CartPole-v1 stepping with random actions (8 envs), env steps per second. */
function bareCartPoleStepsPerSecond(steps = 200_000): number {
  const vec = makeVecEnv("CartPole-v1", 8);
  const rng = createRng(0);
  vec.reset({ seed: 0 });
  const actions = new Int32Array(8);
  const start = performance.now();
  for (let t = 0; t < steps / 8; t++) {
    for (let e = 0; e < 8; e++) actions[e] = rng.int(2);
    vec.step(actions);
  }
  return steps / ((performance.now() - start) / 1000);
}

const results: Record<string, unknown>[] = [];
const ppoStepsPerSecond: number[] = [];
for (const run of chosen) {
  for (const seed of seeds) {
    const trainer = await OnPolicyTrainer.create({
      ...run.options,
      totalSteps: run.budget,
      evalEvery: run.evalEvery,
      evalEpisodes: 20,
      stopAtReturn: run.threshold,
      seed,
    });
    const r = await trainer.train();
    trainer.dispose();
    const line = {
      run: run.name,
      seed,
      threshold: run.threshold,
      budget: run.budget,
      reached: r.stepsToThreshold !== undefined,
      stepsToThreshold: r.stepsToThreshold ?? null,
      finalEvalReturn: Number(r.evalReturn.toFixed(2)),
      envSteps: r.envSteps,
      wallSeconds: Number(r.wallSeconds.toFixed(2)),
      envStepsPerSecond: Math.round(r.envSteps / r.wallSeconds),
    };
    if (run.name === "ppo-cartpole") ppoStepsPerSecond.push(line.envStepsPerSecond);
    results.push(line);
    console.log(JSON.stringify(line));
  }
}

const bare = bareCartPoleStepsPerSecond();
const summary: Record<string, unknown> = {
  benchmark: "learning",
  seeds,
  runs: chosen.map((run) => {
    const mine = results.filter((r) => r.run === run.name);
    return {
      run: run.name,
      threshold: run.threshold,
      budget: run.budget,
      reachedAllSeeds: mine.every((r) => r.reached),
      stepsToThreshold: mine.map((r) => r.stepsToThreshold),
      wallSeconds: mine.map((r) => r.wallSeconds),
    };
  }),
  bareCartPoleEnvStepsPerSecond: Math.round(bare),
};
if (ppoStepsPerSecond.length) {
  const mean = ppoStepsPerSecond.reduce((s, x) => s + x, 0) / ppoStepsPerSecond.length;
  summary.ppoCartPoleEnvStepsPerSecond = Math.round(mean);
  // Training throughput relative to stepping the bare environment in the same process.
  summary.ppoCartPoleToBareEnvRatio = Number((mean / bare).toPrecision(3));
}
console.log(JSON.stringify(summary));
