import { type AdvantageEstimator, assertFinite, assertLength, type Batch } from "@rlts/core";
import { describeEstimator } from "../src/index.js";

// A minimal conforming estimator (advantage = reward − batch mean) to run the suite itself against.
const meanCentred: AdvantageEstimator = {
  name: "mean-centred",
  requires: ["values"],
  estimate(batch: Batch) {
    const n = batch.numSteps * batch.numEnvs;
    assertLength("rewards", batch.rewards, n);
    assertFinite("rewards", batch.rewards);
    if (!batch.values) throw new Error("values is required by mean-centred");
    const mean = batch.rewards.reduce((a, b) => a + b, 0) / n;
    return { advantages: batch.rewards.map((r) => r - mean) };
  },
};

describeEstimator("mean-centred reference", {
  create: () => meanCentred,
  batch: () => ({
    numSteps: 2,
    numEnvs: 2,
    rewards: Float64Array.from([1, 2, 3, 4]),
    terminated: new Uint8Array(4),
    truncated: new Uint8Array(4),
    values: Float64Array.from([0, 0, 0, 0]),
  }),
});
