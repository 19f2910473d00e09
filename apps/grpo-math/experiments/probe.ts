import "reflect-metadata";
import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import { KvCacheSampler } from "../src/kv-sampler.js";

await selectEngine();
const model = new GptModel({
  vocabSize: 88,
  contextLength: 64,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  initStd: 0.3,
  seed: 3,
});
const s = new KvCacheSampler(model.config, model.getWeights());
const prompt = Int32Array.from({ length: 23 }, (_, j) => ((j * 7) % 80) + 4);
const prompts = Array.from({ length: 64 }, () => prompt);
for (let r = 0; r < 2; r++) {
  let t = performance.now();
  s.generate({ prompts, maxNewTokens: 30, temperature: 1, rng: createRng(1) });
  const kv = performance.now() - t;
  t = performance.now();
  await model.generate({ prompts, maxNewTokens: 30, temperature: 1, rng: createRng(1) });
  const tfjs = performance.now() - t;
  console.log(`64x30: kv ${kv.toFixed(0)} ms, tfjs ${tfjs.toFixed(0)} ms, ratio ${(tfjs / kv).toFixed(2)}`);
}
