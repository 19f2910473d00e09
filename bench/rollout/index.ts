// `pnpm bench rollout`: tokens generated per second for 64 prompts × 64 new tokens with a d_model 128,
// 4-layer GPT, on onnxruntime with the KV cache (one and two intra-op threads) and on backend-tfjs's own
// generate (wasm, which recomputes the whole sequence each step), measured in the same run, plus the
// cost of a weight sync (tfjs getWeights + onnx setWeights). Ratios are what to compare between runs.
import { readFileSync } from "node:fs";
import { createRng } from "@rlts/core";
import { OnnxGpt } from "../../packages/backend-onnx/src/index.js";
import { CharTokenizer, GptModel, selectEngine } from "../../packages/backend-tfjs/src/index.js";

const PROMPTS = 64;
const NEW_TOKENS = 64;
const log = (message: string) => console.error(message);

const questions = readFileSync(new URL("../../data/gsm8k/test.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .slice(0, PROMPTS)
  .map((line) => (JSON.parse(line) as { question: string }).question);
const tokenizer = CharTokenizer.fromText(questions.join(""));
// Prompts of 8 to 39 tokens (the start of each question), so the batch is ragged.
const prompts = questions.map((q, i) => tokenizer.encode(q.slice(0, 7 + (i % 32)), { bos: true }));

await selectEngine({ prefer: "wasm", log });
const model = new GptModel({
  vocabSize: tokenizer.vocabSize,
  contextLength: 128,
  dModel: 128,
  nLayers: 4,
  nHeads: 4,
  seed: 1,
  initStd: 0.1,
});
const request = { prompts, maxNewTokens: NEW_TOKENS, temperature: 1, topK: 20 };
const tokens = (out: { completions: readonly Int32Array[] }) =>
  out.completions.reduce((s, c) => s + c.length, 0);

async function timeOnnx(threads: number, runs: number) {
  const onnx = await OnnxGpt.create(model.config, model.getWeights(), { intraOpNumThreads: threads });
  await onnx.generate({ ...request, maxNewTokens: 4, rng: createRng(0) }); // warm-up
  const times: number[] = [];
  let generated = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const out = await onnx.generate({ ...request, rng: createRng(r) });
    times.push((performance.now() - t0) / 1000);
    generated = tokens(out);
  }
  times.sort((a, b) => a - b);
  const seconds = times[Math.floor(times.length / 2)];
  log(`onnxruntime ${threads} thread(s): ${generated} tokens in ${seconds.toFixed(3)} s (median of ${runs})`);
  return { onnx, tokensPerSecond: generated / seconds };
}

const one = await timeOnnx(1, 5);
await one.onnx.dispose();
const two = await timeOnnx(2, 5);

log("tfjs-wasm generate (one run; it recomputes every prefix at each step)...");
const t0 = performance.now();
const tfOut = await model.generate({ ...request, rng: createRng(0) });
const tfSeconds = (performance.now() - t0) / 1000;
const tfjsTokensPerSecond = tokens(tfOut) / tfSeconds;
log(`tfjs-wasm: ${tokens(tfOut)} tokens in ${tfSeconds.toFixed(2)} s`);

// Weight sync: read the trained weights out of tfjs and hand them to the onnx sessions.
const getTimes: number[] = [];
const setTimes: number[] = [];
for (let r = 0; r < 10; r++) {
  const a = performance.now();
  const weights = model.getWeights();
  const b = performance.now();
  two.onnx.setWeights(weights);
  const c = performance.now();
  getTimes.push(b - a);
  setTimes.push(c - b);
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
let parameters = 0;
for (const t of model.getWeights().values()) parameters += t.data.length;
await two.onnx.dispose();
model.dispose();

console.log(
  JSON.stringify({
    prompts: PROMPTS,
    newTokens: NEW_TOKENS,
    model: { dModel: 128, nLayers: 4, nHeads: 4, vocabSize: tokenizer.vocabSize, parameters },
    onnxKvCacheTokensPerSecond1Thread: Math.round(one.tokensPerSecond),
    onnxKvCacheTokensPerSecond2Threads: Math.round(two.tokensPerSecond),
    tfjsWasmTokensPerSecond: Math.round(tfjsTokensPerSecond * 10) / 10,
    ratioOnnx1ThreadVsTfjs: Math.round((one.tokensPerSecond / tfjsTokensPerSecond) * 10) / 10,
    ratioOnnx2ThreadsVsTfjs: Math.round((two.tokensPerSecond / tfjsTokensPerSecond) * 10) / 10,
    weightSyncMs: Math.round((median(getTimes) + median(setTimes)) * 100) / 100,
    weightSyncTfjsGetWeightsMs: Math.round(median(getTimes) * 100) / 100,
    weightSyncOnnxSetWeightsMs: Math.round(median(setTimes) * 100) / 100,
  }),
);
