import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { accumulatedStep } from "../../src/index.js";

const shape = { vocabSize: 7, contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, seed: 5 };
const optimizer = { lr: 0.05, maxGradNorm: 0.5 };
// Four sequences of equal length: the mean LM loss over all four equals the mean of the two halves'
// means, so ½·loss(half 1) + ½·loss(half 2) has the same gradient as loss(all).
const sequences = [
  Int32Array.from([1, 4, 5, 6, 2]),
  Int32Array.from([1, 3, 3, 4, 2]),
  Int32Array.from([1, 6, 5, 4, 2]),
  Int32Array.from([1, 5, 4, 3, 2]),
];

describe("accumulatedStep", () => {
  beforeAll(async () => {
    await selectEngine({ prefer: "cpu", log: () => {} });
  });

  it("two half micro-batches give the same update as one full-batch trainStep (clip active)", () => {
    const whole = new GptModel({ ...shape, optimizer });
    const parts = new GptModel({ ...shape, optimizer });
    const full = whole.trainStep(() => whole.languageModelLoss(sequences));
    const acc = accumulatedStep(parts, [
      () => tf.mul(parts.languageModelLoss(sequences.slice(0, 2)), 0.5) as tf.Scalar,
      () => tf.mul(parts.languageModelLoss(sequences.slice(2)), 0.5) as tf.Scalar,
    ]);
    expect(acc.loss).toBeCloseTo(full.loss, 5);
    expect(acc.gradNorm).toBeCloseTo(full.gradNorm, 4);
    expect(full.gradNorm).toBeGreaterThan(0.5); // so the clip was exercised
    const a = whole.getFlatParams();
    const b = parts.getFlatParams();
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(parts.getOptimizerState().step).toBe(1);
    whole.dispose();
    parts.dispose();
  });

  it("leaves no tensors behind and refuses a NaN loss without touching the weights", () => {
    const model = new GptModel({ ...shape, optimizer });
    const loss = () => tf.mul(model.languageModelLoss(sequences), 0.5) as tf.Scalar;
    accumulatedStep(model, [loss, loss]);
    const count = tf.memory().numTensors;
    accumulatedStep(model, [loss, loss]);
    expect(tf.memory().numTensors).toBe(count);
    const before = model.getFlatParams();
    expect(() => accumulatedStep(model, [loss, () => tf.mul(loss(), Number.NaN) as tf.Scalar])).toThrow(
      /loss\[0\] is NaN/,
    );
    expect(model.getFlatParams()).toEqual(before);
    expect(tf.memory().numTensors).toBe(count);
    model.dispose();
  });
});
