import { createRng, type Rng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { CharTokenizer, GptModel, selectEngine } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

// The task: "<bos>abcd=" → "dcba<eos>". Reversal needs attention to a position that moves with the
// output index, so a model without working attention and gradients cannot pass.
const letters = "abcdef";
const L = 4;
const tok = CharTokenizer.fromText(`${letters}=`);

function example(rng: Rng): { prompt: Int32Array; full: Int32Array } {
  const s = Array.from({ length: L }, () => letters[rng.int(letters.length)]).join("");
  const prompt = tok.encode(`${s}=`, { bos: true });
  const answer = tok.encode([...s].reverse().join(""), { eos: true });
  return { prompt, full: Int32Array.from([...prompt, ...answer]) };
}

describe("learning a tiny language", () => {
  it("learns to reverse strings to > 99% token accuracy (greedy decoding on unseen strings)", async () => {
    const model = new GptModel({
      vocabSize: tok.vocabSize,
      contextLength: 2 * L + 3,
      dModel: 32,
      nLayers: 2,
      nHeads: 2,
      seed: 1,
      optimizer: { lr: 3e-3, warmupSteps: 20, decay: "cosine", totalSteps: 400, minLrRatio: 0.1 },
    });
    const rng = createRng(2);
    const start = L + 2; // first answer token: after <bos>, L letters and "="
    let last = Number.POSITIVE_INFINITY;
    for (let step = 0; step < 400; step++) {
      const sequences = Array.from({ length: 32 }, () => example(rng).full);
      const request = { sequences, start: sequences.map(() => start) };
      last = model.trainStep(() => {
        const { logprobs, mask } = model.sequenceLogProbs(request);
        return tf.div(tf.neg(tf.sum(logprobs)), tf.sum(mask)) as tf.Scalar;
      }).loss;
    }
    expect(last).toBeLessThan(0.05);
    const evalRng = createRng(999);
    const tests = Array.from({ length: 200 }, () => example(evalRng));
    const out = await model.generate({
      prompts: tests.map((t) => t.prompt),
      maxNewTokens: L + 1,
      temperature: 0,
      stopTokens: [tok.eosId],
      rng: createRng(0),
    });
    let correct = 0;
    tests.forEach((t, i) => {
      const expected = t.full.subarray(t.prompt.length);
      for (let k = 0; k < expected.length; k++) if (out.completions[i][k] === expected[k]) correct++;
    });
    const accuracy = correct / (tests.length * (L + 1));
    expect(accuracy).toBeGreaterThan(0.99);
    model.dispose();
  });
});
