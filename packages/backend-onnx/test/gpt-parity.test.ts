import { GptModel, type GptOptions, selectEngine } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxGpt } from "../src/index.js";

// Parity of the onnxruntime GPT against backend-tfjs on real sessions: logits, scores, greedy and
// seeded sampling, before and after training the tfjs model and syncing its weights.

await selectEngine({ prefer: "wasm", log: () => {} });

const shape = { vocabSize: 13, contextLength: 12, dModel: 16, nLayers: 2, nHeads: 4, dFF: 24 } as const;

/** Every next-token logit row of `tokens` from the tfjs forward pass. */
function tfjsLogits(model: GptModel, tokens: Int32Array): Float32Array[] {
  const V = model.config.vocabSize;
  const data = tf.tidy(
    () => model.forward(tf.tensor1d(tokens, "int32"), 1, tokens.length).dataSync() as Float32Array,
  );
  return Array.from({ length: tokens.length }, (_, p) => data.slice(p * V, (p + 1) * V));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const rng = createRng(123);
const randomSeq = (n: number) => Int32Array.from({ length: n }, () => rng.int(shape.vocabSize));
const sequences = [randomSeq(12), randomSeq(3), randomSeq(7), randomSeq(1)];

async function expectParity(tfModel: GptModel, onnx: OnnxGpt): Promise<void> {
  // Logits of a right-padded batch of different lengths, every position.
  const rows = await onnx.logits(sequences);
  sequences.forEach((seq, i) => {
    const expected = tfjsLogits(tfModel, seq);
    expected.forEach((row, p) => {
      expect(maxAbsDiff(rows[i][p], row), `sequence ${i} position ${p}`).toBeLessThan(1e-4);
    });
  });
  // Log-probs and entropies of given sequences (the reference-model path).
  const request = { sequences: sequences.filter((s) => s.length > 1), start: [1, 2, 6], entropy: true };
  const a = await onnx.score(request);
  const b = await tfModel.score(request);
  a.logprobs.forEach((lp, i) => {
    expect(maxAbsDiff(lp, b.logprobs[i])).toBeLessThan(1e-4);
    expect(maxAbsDiff(a.entropy![i], b.entropy![i])).toBeLessThan(1e-4);
  });
}

describe("OnnxGpt against backend-tfjs GptModel", () => {
  const models: { dispose(): unknown }[] = [];
  const make = async (options: Partial<GptOptions>) => {
    const tfModel = new GptModel({ ...shape, seed: 7, initStd: 0.4, ...options });
    const onnx = await OnnxGpt.create(tfModel.config, tfModel.getWeights(), { intraOpNumThreads: 1 });
    models.push(tfModel, onnx);
    return { tfModel, onnx };
  };
  let untied: Awaited<ReturnType<typeof make>>;
  beforeAll(async () => {
    untied = await make({});
  });
  afterAll(async () => {
    for (const m of models) await m.dispose();
  });

  it("matches logits, log-probs and entropies within 1e-4 for random weights (separate and tied head)", async () => {
    await expectParity(untied.tfModel, untied.onnx);
    const tied = await make({ tieEmbeddings: true, seed: 8 });
    await expectParity(tied.tfModel, tied.onnx);
  });

  it("decodes greedily to the same tokens as tfjs, with batched prompts of different lengths", async () => {
    const prompts = [randomSeq(2), randomSeq(5), randomSeq(1), randomSeq(4)];
    const request = { prompts, maxNewTokens: 6, temperature: 0, rng: createRng(0) };
    const a = await untied.onnx.generate(request);
    const b = await untied.tfModel.generate({ ...request, rng: createRng(0) });
    expect(a.completions).toEqual(b.completions);
    a.logprobs.forEach((lp, i) => {
      expect(maxAbsDiff(lp, b.logprobs[i])).toBeLessThan(1e-4);
    });
    expect(a.stopped).toEqual(b.stopped);
  });

  it("keeps decoding past the context window the way tfjs crops it", async () => {
    // Prompt 9 + 8 new tokens passes contextLength 12: the last steps run on cropped windows.
    const prompts = [randomSeq(9), randomSeq(14)];
    const request = { prompts, maxNewTokens: 8, temperature: 0, rng: createRng(0) };
    const a = await untied.onnx.generate(request);
    const b = await untied.tfModel.generate({ ...request, rng: createRng(0) });
    expect(a.completions).toEqual(b.completions);
    a.logprobs.forEach((lp, i) => {
      expect(maxAbsDiff(lp, b.logprobs[i])).toBeLessThan(1e-4);
    });
  });

  it("samples the same tokens for the same seed: between runs and as tfjs (shared sampling function)", async () => {
    const prompts = Array.from({ length: 6 }, (_, i) => randomSeq(1 + (i % 4)));
    const settings = [
      { temperature: 1 },
      { temperature: 0.8, topK: 4 },
      { temperature: 1.2, topP: 0.9 },
      { temperature: 0.7, topK: 5, topP: 0.8, stopTokens: [2, 3] },
    ];
    for (const s of settings) {
      const request = { prompts, maxNewTokens: 7, ...s };
      const a = await untied.onnx.generate({ ...request, rng: createRng(42) });
      const again = await untied.onnx.generate({ ...request, rng: createRng(42) });
      const b = await untied.tfModel.generate({ ...request, rng: createRng(42) });
      expect(again).toEqual(a);
      expect(a.completions, JSON.stringify(s)).toEqual(b.completions);
      expect(a.stopped).toEqual(b.stopped);
      a.logprobs.forEach((lp, i) => {
        expect(maxAbsDiff(lp, b.logprobs[i])).toBeLessThan(1e-4);
      });
    }
    const other = await untied.onnx.generate({ prompts, maxNewTokens: 7, rng: createRng(43) });
    const first = await untied.onnx.generate({ prompts, maxNewTokens: 7, rng: createRng(42) });
    expect(other.completions).not.toEqual(first.completions);
  });

  it("drops finished sequences from the batch without changing any sample (stop tokens, vs tfjs)", async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => randomSeq(1 + (i % 5)));
    // Half the vocabulary stops a sequence, so most finish early and the batch shrinks mid-generation.
    const request = { prompts, maxNewTokens: 9, temperature: 1.5, stopTokens: [0, 1, 2, 3, 4, 5] };
    const a = await untied.onnx.generate({ ...request, rng: createRng(77) });
    const b = await untied.tfModel.generate({ ...request, rng: createRng(77) });
    expect(a.completions).toEqual(b.completions);
    expect(a.stopped).toEqual(b.stopped);
    a.logprobs.forEach((lp, i) => {
      expect(maxAbsDiff(lp, b.logprobs[i])).toBeLessThan(1e-4);
    });
    // The case is informative: at some step at most half the sequences went on, and some did.
    const goingOn = (s: number) => a.completions.filter((c) => c.length > s + 1).length;
    const steps = Array.from({ length: request.maxNewTokens - 1 }, (_, s) => goingOn(s));
    expect(
      steps.some((n) => n > 0 && 2 * n <= prompts.length),
      `sequences going on per step: ${steps}`,
    ).toBe(true);
  });

  it("returns, for sampled tokens, log softmax(z/T) before top-k (KV cache = full graph scored at T)", async () => {
    const prompts = [randomSeq(3), randomSeq(1)];
    const out = await untied.onnx.generate({
      prompts,
      maxNewTokens: 5,
      temperature: 0.5,
      topK: 3,
      rng: createRng(9),
    });
    const scored = await untied.onnx.score({
      sequences: prompts.map((p, i) => Int32Array.from([...p, ...out.completions[i]])),
      start: prompts.map((p) => p.length),
      temperature: 0.5,
    });
    out.logprobs.forEach((lp, i) => {
      expect(maxAbsDiff(lp, scored.logprobs[i])).toBeLessThan(1e-5);
    });
  });

  it("stays in parity after training the tfjs model and syncing its weights (no re-export)", async () => {
    const { tfModel, onnx } = await make({ seed: 11, initStd: 0.02, optimizer: { lr: 1e-2 } });
    // A copy task the model can learn: sequences a b c a b c ...
    const data = Array.from({ length: 8 }, (_, i) =>
      Int32Array.from({ length: 12 }, (_, t) => 4 + ((i + t) % 3)),
    );
    const first = tfModel.trainStep(() => tfModel.languageModelLoss(data)).loss;
    let last = first;
    for (let step = 0; step < 40; step++)
      last = tfModel.trainStep(() => tfModel.languageModelLoss(data)).loss;
    expect(last).toBeLessThan(first * 0.5);
    const before = await onnx.score({ sequences: [data[0]], start: [1] });
    const tfBefore = await tfModel.score({ sequences: [data[0]], start: [1] });
    expect(maxAbsDiff(before.logprobs[0], tfBefore.logprobs[0])).toBeGreaterThan(0.1); // stale weights
    onnx.setWeights(tfModel.getWeights());
    await expectParity(tfModel, onnx);
    const request = {
      prompts: [data[1].subarray(0, 2), data[2].subarray(0, 4)],
      maxNewTokens: 6,
      temperature: 0,
    };
    const a = await onnx.generate({ ...request, rng: createRng(1) });
    const b = await tfModel.generate({ ...request, rng: createRng(1) });
    expect(a.completions).toEqual(b.completions);
    // The trained model continues the cycle 4 5 6: prompt 5 6 (i = 1, t = 0, 1) → 4 5 6 4 5 6.
    expect(Array.from(a.completions[0])).toEqual([4, 5, 6, 4, 5, 6]);
    const sampled = { prompts: request.prompts, maxNewTokens: 6, temperature: 1, topP: 0.95 };
    expect((await onnx.generate({ ...sampled, rng: createRng(5) })).completions).toEqual(
      (await tfModel.generate({ ...sampled, rng: createRng(5) })).completions,
    );
  });
});
