// Learning benchmarks of the on-policy trainer: each run trains until a greedy evaluation (20
// episodes) reaches the threshold or the step budget is spent, and prints one JSON line with the
// steps to threshold and wall time. The last line sums up, with the PPO CartPole env steps per second
// as a ratio to bare CartPole stepping measured in the same process, and to the same PPO run in
// PyTorch (cleanrl_ppo.py, on 1 and 2 threads, after each rlts seed; see README.md).
//
//   pnpm bench learning                      every run, seeds 1, 2, 3
//   pnpm bench learning ppo-cartpole --seeds=1
//   pnpm bench learning ppo-cartpole --seeds=1 --python=/usr/bin/python3   (the default interpreter)
//   pnpm bench learning ppo-cartpole --no-torch
//   pnpm bench learning ppo-cartpole --mlp-engine=false   (train the tfjs MlpPolicy itself; default onnx)
import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
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
const pythonArg = args.find((a) => a.startsWith("--python="));
const python = pythonArg ? pythonArg.slice("--python=".length) : "/usr/bin/python3";
const withTorch = !args.includes("--no-torch");
const engineArg = args.find((a) => a.startsWith("--mlp-engine="))?.slice("--mlp-engine=".length);
// The trainer's default (onnx for optimiser-stepped objectives, tfjs for TRPO) unless named here.
const mlpEngine = engineArg === undefined ? undefined : engineArg === "false" ? false : engineArg;
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

/** What cleanrl_ppo.py prints (the fields the summary uses). */
interface TorchPpoRun {
  readonly version: string;
  readonly blas: string;
  readonly threads: number;
  readonly seed: number;
  readonly stepsToThreshold: number | null;
  readonly envSteps: number;
  readonly wallSeconds: number;
  readonly evalSeconds: number;
  readonly envStepsPerSecond: number;
  readonly envStepsPerSecondExcludingEval: number;
}

// Why the PyTorch reference is missing, once one attempt has failed (later seeds skip it).
let torchReason: string | null = withTorch ? null : "disabled by --no-torch";
if (!torchReason && !existsSync(python)) torchReason = `${python} not found (pass --python=PATH)`;
const torchRuns: TorchPpoRun[] = [];

/** The PyTorch PPO run for `seed` on `threads` threads, in a child process (the same budget). */
function torchPpo(seed: number, threads: number, budget: number): void {
  if (torchReason) return;
  const script = fileURLToPath(new URL("./cleanrl_ppo.py", import.meta.url));
  const run = spawnSync(
    python,
    [script, "--seed", String(seed), "--threads", String(threads), "--budget", String(budget)],
    { encoding: "utf8", timeout: 30 * 60 * 1000 },
  );
  const last = (text: string | null) => (text ?? "").trim().split("\n").at(-1) ?? "";
  if (run.status !== 0) {
    const why = run.error ? run.error.message : `exit code ${run.status}: ${last(run.stderr)}`;
    torchReason = `PyTorch reference unavailable: ${why}`;
    console.log(`torch: ${torchReason}`);
    return;
  }
  const line = JSON.parse(last(run.stdout)) as TorchPpoRun;
  torchRuns.push(line);
  console.log(JSON.stringify({ run: "torch-ppo-cartpole", ...line }));
}

const results: Record<string, unknown>[] = [];
const ppoStepsPerSecond: number[] = [];
const ppoSplit: [number, number][] = [];
for (const run of chosen) {
  for (const seed of seeds) {
    const trainer = await OnPolicyTrainer.create({
      ...run.options,
      totalSteps: run.budget,
      evalEvery: run.evalEvery,
      evalEpisodes: 20,
      stopAtReturn: run.threshold,
      seed,
      // Every selected run; TRPO refuses an engine other than false (it needs tfjs's Fisher products).
      ...(mlpEngine !== undefined ? { mlpEngine } : {}),
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
      // Where the time went: per update, rollouts (env + acting) and updates (advantages + optimiser
      // steps); the greedy evaluations in total.
      rolloutMsPerUpdate: Number(((r.rolloutSeconds * 1000) / r.updates).toFixed(2)),
      updateMsPerUpdate: Number(((r.updateSeconds * 1000) / r.updates).toFixed(2)),
      evalSeconds: Number(r.evalSeconds.toFixed(2)),
    };
    results.push(line);
    console.log(JSON.stringify(line));
    if (run.name === "ppo-cartpole") {
      ppoStepsPerSecond.push(line.envStepsPerSecond);
      ppoSplit.push([line.rolloutMsPerUpdate, line.updateMsPerUpdate]);
      // The same run in PyTorch right after, on 1 then 2 threads: the same load for both sides.
      torchPpo(seed, 1, run.budget);
      torchPpo(seed, 2, run.budget);
    }
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
  const meanOfSplit = (k: 0 | 1) =>
    Number((ppoSplit.reduce((s, x) => s + x[k], 0) / ppoSplit.length).toFixed(2));
  summary.ppoCartPoleMsPerUpdate = { rollout: meanOfSplit(0), update: meanOfSplit(1) };
  // Training throughput relative to stepping the bare environment in the same process.
  summary.ppoCartPoleToBareEnvRatio = Number((mean / bare).toPrecision(3));
  const one = torchRuns.filter((r) => r.threads === 1);
  const two = torchRuns.filter((r) => r.threads === 2);
  if (one.length === seeds.length && two.length === seeds.length) {
    const meanOf = (rs: TorchPpoRun[], f: (r: TorchPpoRun) => number) =>
      rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const sps1 = meanOf(one, (r) => r.envStepsPerSecond);
    const sps2 = meanOf(two, (r) => r.envStepsPerSecond);
    summary.torchPpoCartpole = {
      version: one[0].version,
      blas: one[0].blas,
      seeds,
      // Means over the seeds, env steps over the wall clock of the whole train loop (evaluations
      // included), as ppoCartPoleEnvStepsPerSecond.
      stepsPerSecond1Thread: Math.round(sps1),
      stepsPerSecond2Threads: Math.round(sps2),
      stepsToThreshold: one.map((r) => r.stepsToThreshold),
      stepsToThreshold2Threads: two.map((r) => r.stepsToThreshold),
      wallSeconds1Thread: one.map((r) => r.wallSeconds),
      wallSeconds2Threads: two.map((r) => r.wallSeconds),
      stepsPerSecondExcludingEval1Thread: Math.round(meanOf(one, (r) => r.envStepsPerSecondExcludingEval)),
    };
    // rlts SPS / PyTorch SPS: ≥ 1 means rlts is not slower. The headline ratio is against the faster
    // of PyTorch's two thread counts.
    const sig = (x: number) => Number(x.toPrecision(3));
    summary.ppoStepsPerSecondRatioToTorch = sig(mean / Math.max(sps1, sps2));
    summary.ppoStepsPerSecondRatioToTorch1Thread = sig(mean / sps1);
    summary.ppoStepsPerSecondRatioToTorch2Threads = sig(mean / sps2);
  } else {
    summary.torchPpoCartpole = null;
    summary.torchPpoCartpoleReason = torchReason ?? "incomplete PyTorch runs";
    summary.ppoStepsPerSecondRatioToTorch = null;
  }
}
summary.loadAverage1m = Number(loadavg()[0].toFixed(2));
console.log(JSON.stringify(summary));
