// Shared setup of the describeEngine runs (one test file per backend).
import { createRng } from "@rlts/core";
import type { EngineConformanceOptions } from "@rlts/testing";
import * as tf from "@tensorflow/tfjs-core";
import { GptModel, type GptOptions, MlpPolicy, type MlpPolicyOptions } from "../src/index.js";

const lm = { vocabSize: 8, contextLength: 8, dModel: 8, nLayers: 2, nHeads: 2, dFF: 16 } as const;

/** Next-token logits after every prefix of `tokens`, straight from the model's forward pass. */
export function allLogits(model: GptModel, tokens: Int32Array): Float32Array[] {
  const V = model.config.vocabSize;
  const data = tf.tidy(
    () => model.forward(tf.tensor1d(tokens, "int32"), 1, tokens.length).dataSync() as Float32Array,
  );
  return Array.from({ length: tokens.length }, (_, p) => data.slice(p * V, (p + 1) * V));
}

function gptCase(extra: Partial<GptOptions>) {
  return () => {
    const model = new GptModel({ ...lm, seed: 5, initStd: 0.3, ...extra });
    const rng = createRng(8);
    const batch = Array.from({ length: 3 }, () =>
      Int32Array.from({ length: 6 }, () => rng.int(lm.vocabSize)),
    );
    const loss = () => model.languageModelLoss(batch);
    return {
      getFlat: () => model.getFlatParams(),
      setFlat: (flat: ArrayLike<number>) => model.setFlatParams(flat),
      loss: () => model.lossValue(loss),
      gradient: () => model.flatGradient(loss).gradient,
      dispose: () => model.dispose(),
    };
  };
}

function mlpCase(options: MlpPolicyOptions) {
  return () => {
    const policy = new MlpPolicy(options);
    const rng = createRng(9);
    const B = 6;
    const obs = Float32Array.from({ length: B * options.obsDim }, () => rng.normal());
    const act = policy.act(obs, rng);
    const adv = tf.keep(tf.tensor1d(Float32Array.from({ length: B }, () => rng.normal())));
    const ret = tf.keep(tf.tensor1d(Float32Array.from({ length: B }, () => rng.normal())));
    // An actor-critic loss: −mean(log π·A) + ½·mean((V − R)²) − 0.01·mean(H).
    const loss = () => {
      const { logprob, entropy, value } = policy.evaluate(obs, act.actions);
      const pg = tf.neg(tf.mean(tf.mul(logprob, adv)));
      const vf = value ? tf.mul(tf.mean(tf.square(tf.sub(value, ret))), 0.5) : tf.scalar(0);
      return tf.sub(tf.add(pg, vf), tf.mul(tf.mean(entropy), 0.01)) as tf.Scalar;
    };
    return {
      getFlat: () => policy.getFlatParams(),
      setFlat: (flat: ArrayLike<number>) => policy.setFlatParams(flat),
      loss: () => policy.lossValue(loss),
      gradient: () => policy.flatGradient(loss).gradient,
      dispose: () => {
        adv.dispose();
        ret.dispose();
        policy.dispose();
      },
    };
  };
}

/** The describeEngine options for the backend that is active. */
export const conformanceOptions: EngineConformanceOptions<tf.Tensor> = {
  vocabSize: lm.vocabSize,
  contextLength: lm.contextLength,
  // A larger init scale than GPT-2's 0.02 makes the next-token distributions far from uniform.
  createLanguageModel: (seed) => new GptModel({ ...lm, seed, initStd: 0.5, optimizer: { lr: 1e-2 } }),
  logits: (model, tokens) => allLogits(model as GptModel, tokens),
  languageModelLoss: (model, sequences) => () => (model as GptModel).languageModelLoss(sequences),
  gradientCases: {
    "GPT (untied head)": gptCase({}),
    "GPT (tied embeddings)": gptCase({ tieEmbeddings: true }),
    "MLP categorical, separate value trunk": mlpCase({
      obsDim: 3,
      action: { type: "categorical", n: 4 },
      hidden: [5, 5],
      seed: 1,
    }),
    "MLP Gaussian, shared trunk, relu": mlpCase({
      obsDim: 3,
      action: { type: "gaussian", dim: 2, initLogStd: -0.5 },
      hidden: [6],
      sharedTrunk: true,
      activation: "relu",
      seed: 2,
    }),
  },
};
