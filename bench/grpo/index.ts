// GRPO step throughput: tfjs vs onnxruntime rollouts, synchronous vs overlapped generation, on one
// small random GPT and synthetic arithmetic. Figures are ratios measured in the same run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GrpoConfigInput,
  GrpoTrainer,
  parseConfig,
  type StepTiming,
} from "../../packages/trainer/src/index.js";

const steps = Number(process.argv[2] ?? 4);

function config(runDir: string, engine: "tfjs" | "onnx", overlap: boolean): GrpoConfigInput {
  return {
    name: "bench-grpo",
    seed: 1,
    runDir,
    engine: { prefer: "auto" },
    task: { name: "synthetic-arithmetic", digits: 2, steps: [1, 2], trainSize: 200, testSize: 10, seed: 1 },
    prompt: { template: "{question} " },
    model: {
      gpt: { contextLength: 64, dModel: 64, nLayers: 2, nHeads: 4 },
      tokenizer: { text: "0123456789+-*= ?Whatis", multiCharTokens: ["<answer>", "</answer>"] },
    },
    optimizer: { lr: 1e-3 },
    rollout: { engine, overlap, promptsPerStep: 4, groupSize: 8, maxNewTokens: 24 },
    reward: [{ name: "math-correctness", format: "last-number" }],
    objective: { name: "grpo-offpolicy", beta: 0.04 },
    train: { steps, iterations: 1, minibatchSize: 16, microBatchSize: 8 },
    logging: { samplesPerStep: 0, checkpointEvery: 0, progress: "none", report: false },
  };
}

async function measure(engine: "tfjs" | "onnx", overlap: boolean) {
  const dir = await mkdtemp(join(tmpdir(), "bench-grpo-"));
  const timings: StepTiming[] = [];
  let tokens = 0;
  const trainer = await GrpoTrainer.create(parseConfig(config(dir, engine, overlap)), {
    log: () => {},
    onStep: (step, metrics, timing) => {
      timings.push(timing);
      tokens += metrics.tokens;
      console.log(`${engine}${overlap ? "+overlap" : ""} step ${step}: ${JSON.stringify(timing)}`);
    },
  });
  const t0 = performance.now();
  await trainer.train();
  const seconds = (performance.now() - t0) / 1000;
  await trainer.dispose();
  await rm(dir, { recursive: true, force: true });
  const generate = timings.reduce((s, t) => s + t.generateSeconds, 0);
  return { seconds, stepsPerSecond: steps / seconds, tokensPerSecond: tokens / seconds, generate };
}

const tfjs = await measure("tfjs", false);
const onnx = await measure("onnx", false);
const overlap = await measure("onnx", true);
console.log(
  JSON.stringify({
    steps,
    batch: 32,
    tfjsStepsPerSecond: Number(tfjs.stepsPerSecond.toFixed(3)),
    onnxStepsPerSecond: Number(onnx.stepsPerSecond.toFixed(3)),
    overlapStepsPerSecond: Number(overlap.stepsPerSecond.toFixed(3)),
    onnxOverTfjs: Number((onnx.stepsPerSecond / tfjs.stepsPerSecond).toFixed(2)),
    overlapOverSync: Number((overlap.stepsPerSecond / onnx.stepsPerSecond).toFixed(2)),
    tfjsGenerateShare: Number((tfjs.generate / tfjs.seconds).toFixed(2)),
    onnxGenerateShare: Number((onnx.generate / onnx.seconds).toFixed(2)),
  }),
);
