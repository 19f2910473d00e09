// `pnpm bench advantages`: throughput of GAE over 1e6 steps and of the group z-score over 1e6 rewards.
// Each figure is the median of several timed runs after a warm-up. Because the machine is shared, the
// JSON also gives each estimator's time relative to a plain pass over the same rewards measured in the
// same run (`…VsSumPass`): that ratio is what to compare between runs.
import { type Batch, createRng } from "@rlts/core";
import {
  computeGroupAdvantages,
  GaeEstimator,
  GroupEstimator,
  RlooEstimator,
} from "../../packages/advantages/src/index.js";

const N = 1_000_000;
const NUM_ENVS = 8;
const GROUP_SIZE = 8;
const RUNS = 7;

const rng = createRng(42);
const rewards = Float64Array.from({ length: N }, () => rng.normal());
const values = Float64Array.from({ length: N }, () => rng.normal());
// About one episode end in 200 steps, a quarter of them time-limit truncations.
const terminated = Uint8Array.from({ length: N }, () => (rng.next() < 0.00375 ? 1 : 0));
const truncated = Uint8Array.from({ length: N }, () => (rng.next() < 0.00125 ? 1 : 0));
const truncationValues = Float64Array.from({ length: N }, () => rng.normal());
const groupRewards = Float64Array.from({ length: N }, () => (rng.next() < 0.4 ? 1 : 0) + 0.1 * rng.int(3));
// Group ids shuffled so that a group's samples are not contiguous.
const groupIds = Int32Array.from({ length: N }, (_, i) => Math.floor(i / GROUP_SIZE));
for (let i = N - 1; i > 0; i--) {
  const j = rng.int(i + 1);
  [groupIds[i], groupIds[j]] = [groupIds[j], groupIds[i]];
}

const gaeBatch: Batch = {
  numSteps: N / NUM_ENVS,
  numEnvs: NUM_ENVS,
  rewards,
  values,
  terminated,
  truncated,
  truncationValues,
  lastValues: Float64Array.from({ length: NUM_ENVS }, () => rng.normal()),
};
const groupBatch: Batch = {
  numSteps: 1,
  numEnvs: N,
  rewards: groupRewards,
  terminated: new Uint8Array(N).fill(1),
  truncated: new Uint8Array(N),
  groupIds,
};

let sink = 0;
/** Median wall time in seconds of `fn` over RUNS runs, after one warm-up run. */
function time(label: string, fn: () => Float64Array | number): number {
  const consume = (x: Float64Array | number) => {
    sink += typeof x === "number" ? x : x[x.length >> 1];
  };
  consume(fn());
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    consume(fn());
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  console.log(`${label.padEnd(36)} median ${(median * 1e3).toFixed(2)} ms over ${RUNS} runs`);
  return median;
}

const sumPass = time("sum pass over 1e6 rewards (baseline)", () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += rewards[i];
  return s;
});
const gae = new GaeEstimator();
const gaeSeconds = time(
  `gae, ${NUM_ENVS} envs × ${N / NUM_ENVS} steps`,
  () => gae.estimate(gaeBatch).advantages,
);
const groupSeconds = time(`group z-score, groupSize ${GROUP_SIZE}`, () =>
  computeGroupAdvantages(groupRewards, GROUP_SIZE),
);
const group = new GroupEstimator();
const groupByIdSeconds = time(
  "group z-score, shuffled groupIds",
  () => group.estimate(groupBatch).advantages,
);
const rloo = new RlooEstimator();
const rlooSeconds = time("rloo, shuffled groupIds", () => rloo.estimate(groupBatch).advantages);

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));
console.log(
  JSON.stringify({
    gaeStepsPerSecond: round(N / gaeSeconds),
    groupZScoreRewardsPerSecond: round(N / groupSeconds),
    groupZScoreByIdRewardsPerSecond: round(N / groupByIdSeconds),
    rlooByIdRewardsPerSecond: round(N / rlooSeconds),
    gaeSeconds: round(gaeSeconds),
    groupZScoreSeconds: round(groupSeconds),
    gaeVsSumPass: round(gaeSeconds / sumPass),
    groupZScoreVsSumPass: round(groupSeconds / sumPass),
    groupZScoreByIdVsSumPass: round(groupByIdSeconds / sumPass),
    steps: N,
    checksum: Number.isFinite(sink),
  }),
);
