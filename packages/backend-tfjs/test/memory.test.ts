import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { GptModel, MlpPolicy, selectEngine } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

describe("memory discipline", () => {
  it("a GPT train step, scoring and sampling leave tf.memory().numTensors unchanged; dispose frees all", async () => {
    const baseline = tf.memory().numTensors;
    const model = new GptModel({ vocabSize: 8, contextLength: 8, dModel: 8, nLayers: 2, nHeads: 2 });
    const request = { sequences: [Int32Array.from([1, 2, 3, 4]), Int32Array.from([3, 2])], start: [2, 1] };
    const before = tf.memory().numTensors;
    // A GRPO-like loss over sequenceLogProbs, with entropy.
    model.trainStep(() => {
      const { logprobs, entropy, mask } = model.sequenceLogProbs(request, { entropy: true });
      return tf.div(
        tf.sum(tf.mul(tf.sub(logprobs, tf.mul(entropy!, 0.01)), mask)),
        tf.sum(mask),
      ) as tf.Scalar;
    });
    model.trainStep(() => model.languageModelLoss(request.sequences));
    await model.score({ ...request, entropy: true });
    await model.generate({ prompts: [Int32Array.from([1])], maxNewTokens: 3, rng: createRng(1) });
    model.getWeights();
    model.setWeights(model.getWeights());
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it("an MLP train step, act and the Fisher-vector product leave numTensors unchanged", () => {
    const baseline = tf.memory().numTensors;
    const policy = new MlpPolicy({ obsDim: 3, action: { type: "gaussian", dim: 2 }, hidden: [4] });
    const obs = [
      [0.1, 0.2, 0.3],
      [1, -1, 0.5],
    ];
    const before = tf.memory().numTensors;
    const act = policy.act(obs, createRng(2));
    policy.trainStep(() => {
      const { logprob, value } = policy.evaluate(obs, act.actions);
      return tf.add(tf.neg(tf.mean(logprob)), tf.mean(tf.square(value!))) as tf.Scalar;
    });
    const n = policy.getFlatParams(policy.policyParameterNames).length;
    policy.fisherVectorProduct(obs, new Float64Array(n).fill(1), { damping: 0.1 });
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it("a failed train step (non-finite loss) leaks nothing either", () => {
    const policy = new MlpPolicy({ obsDim: 2, action: { type: "categorical", n: 2 }, hidden: [3] });
    const before = tf.memory().numTensors;
    expect(() => policy.trainStep(() => tf.div(tf.sum(policy.headOutput([[1, 2]])), 0) as tf.Scalar)).toThrow(
      /loss/,
    );
    expect(tf.memory().numTensors).toBe(before);
    policy.dispose();
  });
});
