import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { GptModel, type GptOptions, selectEngine } from "../src/index.js";

// Sampling with the key/value cache must give what the uncached path (a full forward pass per new
// token, cropped to the context) gives: the same draws from the same seed, the same log-probs.

const shape = { vocabSize: 12, contextLength: 10, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32 } as const;

async function both(options: Partial<GptOptions>, request: Parameters<GptModel["generate"]>[0]) {
  const make = (kvCache: boolean) => new GptModel({ ...shape, seed: 3, initStd: 0.4, ...options, kvCache });
  const cached = make(true);
  const uncached = make(false);
  const seed = 11;
  const a = await cached.generate({ ...request, rng: createRng(seed) });
  const b = await uncached.generate({ ...request, rng: createRng(seed) });
  cached.dispose();
  uncached.dispose();
  return { cached: a, uncached: b };
}

function expectSame({ cached, uncached }: Awaited<ReturnType<typeof both>>, label: string): void {
  expect(cached.stopped, label).toEqual(uncached.stopped);
  cached.completions.forEach((c, i) => {
    expect([...c], `${label} completion ${i}`).toEqual([...uncached.completions[i]]);
    cached.logprobs[i].forEach((lp, k) => {
      expect(Math.abs(lp - uncached.logprobs[i][k]), `${label} logprob ${i}/${k}`).toBeLessThan(1e-4);
    });
  });
}

describe("key/value cache in GptModel.generate", () => {
  for (const engine of ["wasm", "cpu"] as const) {
    it(`matches the uncached path token for token on ragged prompts (${engine})`, async () => {
      await selectEngine({ prefer: engine, log: () => {} });
      const before = tf.memory().numTensors;
      const prompts = [Int32Array.from([1, 2, 3]), Int32Array.from([4]), Int32Array.from([5, 6, 7, 8, 9])];
      // Within the context: 5 + 4 ≤ 10 positions.
      const within = await both({}, { prompts, maxNewTokens: 4, temperature: 1, rng: createRng(0) });
      expectSame(within, `${engine} within context`);
      expect(within.cached.completions.every((c) => c.length === 4)).toBe(true);
      // Past the context (5 + 9 > 10): the cache gives way to the cropped uncached path.
      const past = await both(
        { tieEmbeddings: true },
        { prompts, maxNewTokens: 9, topK: 5, rng: createRng(0) },
      );
      expectSame(past, `${engine} past the context`);
      // Stop tokens end sequences at different steps; stopped sequences stay in the batch.
      const stops = await both({}, { prompts, maxNewTokens: 5, stopTokens: [0, 3, 7], rng: createRng(0) });
      expectSame(stops, `${engine} with stop tokens`);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
