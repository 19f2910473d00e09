// pnpm bench train-step [--engine auto|wasm|cpu|tfjs-node|tfjs-node-gpu] [--rounds 3] [--onnxruntime-dir DIR]
//
// Times one GPT train step (forward + backward + AdamW) at batch 64 × 64 tokens, d_model 128, 4 layers,
// and, interleaved in the same run, the engine's own best large-matmul throughput and (when
// onnxruntime-node can be loaded) onnxruntime's matmul throughput on 1 and 2 threads: the machine's
// ceiling. The last line is one JSON object with the figures.
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@rlts/core";
import {
  type EnginePreference,
  GptModel,
  selectEngine,
  timeMs,
} from "../../packages/backend-tfjs/src/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const prefer = arg("engine", "auto") as EnginePreference;
const rounds = Number(arg("rounds", "3"));
const config = { vocabSize: 64, contextLength: 64, dModel: 128, nLayers: 4, nHeads: 4, dFF: 512 };
const batchSize = 64;
const seqLen = 64;

const engine = await selectEngine({ prefer });
// wasm and cpu run on one thread: time them by this process's CPU time, which measures the work done
// whatever share of the cores other processes take. Multithreaded backends use the wall clock.
const clock: "cpu" | "wall" = engine.device === "wasm" || engine.device === "cpu" ? "cpu" : "wall";

// ---- the engine's best large-matmul throughput -------------------------------------------------
const matmulShapes: [number, number, number][] = [
  [1024, 1024, 1024],
  [4096, 128, 512],
  [4096, 512, 128],
  [2048, 512, 512],
];

function tfjsMatmulGflops(): { gflops: number; shape: number[] } {
  let best = { gflops: 0, shape: [0, 0, 0] };
  for (const [m, k, n] of matmulShapes) {
    const gflops = engine.matmulGflops(m, k, n, 3, clock);
    if (gflops > best.gflops) best = { gflops, shape: [m, k, n] };
  }
  return best;
}

// ---- onnxruntime's matmul throughput (the machine's ceiling) -------------------------------------
// A one-node ONNX model (C = MatMul(A, B), float32, opset 13), protobuf-encoded by hand.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (num: number, bytes: number[]) => [
  ...varint((num << 3) | 2),
  ...varint(bytes.length),
  ...bytes,
];
const int = (num: number, value: number) => [...varint(num << 3), ...varint(value)];
const str = (num: number, s: string) => field(num, [...Buffer.from(s, "utf8")]);
function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => field(1, int(1, d))); // TensorShapeProto.dim { dim_value }
  const tensorType = [...int(1, 1), ...field(2, shape)]; // elem_type FLOAT, shape
  return [...str(1, name), ...field(2, field(1, tensorType))]; // name, type { tensor_type }
}
function matmulModel(m: number, k: number, n: number): Uint8Array {
  const node = [...str(1, "A"), ...str(1, "B"), ...str(2, "C"), ...str(4, "MatMul")];
  const graph = [
    ...field(1, node),
    ...str(2, "matmul"),
    ...field(11, valueInfo("A", [m, k])),
    ...field(11, valueInfo("B", [k, n])),
    ...field(12, valueInfo("C", [m, n])),
  ];
  const opset = [...str(1, ""), ...int(2, 13)];
  return Uint8Array.from([...int(1, 8), ...str(2, "rlts-bench"), ...field(7, graph), ...field(8, opset)]);
}

type Ort = {
  InferenceSession: { create(model: Uint8Array, options: object): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
};
type OrtSession = { run(feeds: object): Promise<object>; release(): Promise<void> };

async function loadOnnxruntime(): Promise<Ort | undefined> {
  // A dev dependency of @rlts/backend-tfjs (or found from the folder given as --onnxruntime-dir).
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const from = [arg("onnxruntime-dir", ""), join(root, "packages/backend-tfjs")].filter((d): d is string =>
    Boolean(d),
  );
  for (const dir of from) {
    try {
      const resolved = createRequire(join(dir, "package.json")).resolve("onnxruntime-node");
      return (await import(resolved)) as Ort;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

async function ortMatmulGflops(ort: Ort, threads: number, clock: "wall" | "cpu"): Promise<number> {
  const [m, k, n] = [1024, 1024, 1024];
  const session = await ort.InferenceSession.create(matmulModel(m, k, n), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const rng = createRng(1);
  const a = new ort.Tensor(
    "float32",
    Float32Array.from({ length: m * k }, () => rng.normal()),
    [m, k],
  );
  const b = new ort.Tensor(
    "float32",
    Float32Array.from({ length: k * n }, () => rng.normal()),
    [k, n],
  );
  await session.run({ A: a, B: b });
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await session.run({ A: a, B: b });
    const cpu = process.cpuUsage(c0);
    best = Math.min(best, clock === "cpu" ? (cpu.user + cpu.system) / 1000 : performance.now() - t0);
  }
  await session.release();
  return (2 * m * k * n) / best / 1e6;
}

// ---- the GPT train step ---------------------------------------------------------------------------
const wallTimes: number[] = [];
const model = new GptModel({ ...config, seed: 1, optimizer: { lr: 3e-4, weightDecay: 0.1 } });
const embedding = config.vocabSize * config.dModel + config.contextLength * config.dModel;
const nonEmbeddingParams = model.numParameters - embedding;
const tokens = batchSize * seqLen;
// Training FLOPs per step (Kaplan et al. 2020 §2.1; PaLM App. B): 6·N·D for the weight matmuls with
// N the non-embedding parameters (the head included; lookups cost no FLOPs), plus the attention score
// and mixing products, 12·L·T·d per token for forward and backward.
const flopsPerStep = 6 * nonEmbeddingParams * tokens + 12 * config.nLayers * seqLen * config.dModel * tokens;
const rng = createRng(7);
const batch = Array.from({ length: batchSize }, () =>
  Int32Array.from({ length: seqLen }, () => rng.int(config.vocabSize)),
);
const step = () => {
  const t0 = performance.now();
  model.trainStep(() => model.languageModelLoss(batch));
  wallTimes.push(performance.now() - t0);
};

console.log(
  `engine ${engine.device}; GPT ${model.numParameters} parameters (${nonEmbeddingParams} non-embedding), ` +
    `${(flopsPerStep / 1e9).toFixed(2)} GFLOP per step`,
);
step();
step();

const ort = await loadOnnxruntime();
if (!ort) console.log("onnxruntime-node not found: the onnxruntime ceiling is not measured");
const stepTimes: number[] = [];
const matmul: number[] = [];
let bestShape: number[] = [];
const ortTwo: number[] = [];
const ortOne: number[] = [];
for (let r = 0; r < rounds; r++) {
  const mm = tfjsMatmulGflops();
  matmul.push(mm.gflops);
  if (mm.gflops >= Math.max(...matmul)) bestShape = mm.shape;
  for (let s = 0; s < 2; s++) stepTimes.push(timeMs(step, clock));
  if (ort) {
    ortTwo.push(await ortMatmulGflops(ort, 2, "wall"));
    ortOne.push(await ortMatmulGflops(ort, 1, "cpu"));
  }
  console.log(
    `round ${r + 1}/${rounds}: step ${stepTimes
      .slice(-2)
      .map((t) => t.toFixed(0))
      .join(", ")} ms; ` +
      `tfjs matmul ${mm.gflops.toFixed(1)} GFLOP/s${ort ? `; onnxruntime ${ortTwo.at(-1)!.toFixed(1)} GFLOP/s (2 threads, wall), ${ortOne.at(-1)!.toFixed(1)} (1 thread, CPU time)` : ""}`,
  );
}
model.dispose();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stepMs = median(stepTimes);
const bestStepMs = Math.min(...stepTimes);
const achieved = flopsPerStep / stepMs / 1e6;
const engineMatmul = Math.max(...matmul);
// The ceiling: onnxruntime on both cores. Measured by the wall clock it suffers from other processes on
// a shared machine, so it is also estimated as 2 × the one-thread figure timed by CPU time; the larger
// of the two is used.
const ortOneCpu = ortOne.length ? Math.max(...ortOne) : null;
const ortTwoWall = ortTwo.length ? Math.max(...ortTwo) : null;
const ortCeiling = ortTwoWall === null || ortOneCpu === null ? null : Math.max(ortTwoWall, 2 * ortOneCpu);
console.log(
  JSON.stringify({
    engine: engine.device,
    clock,
    model: {
      parameters: model.numParameters,
      nonEmbeddingParameters: nonEmbeddingParams,
      ...config,
      batch: batchSize,
      seqLen,
    },
    stepMs: Number(stepMs.toFixed(1)),
    bestStepMs: Number(bestStepMs.toFixed(1)),
    tokensPerSecond: Math.round((tokens / stepMs) * 1000),
    flopsPerStep,
    achievedGflops: Number(achieved.toFixed(2)),
    engineMatmulGflops: Number(engineMatmul.toFixed(2)),
    engineMatmulShape: bestShape,
    ratioToEngineMatmul: Number((achieved / engineMatmul).toFixed(3)),
    onnxruntimeMatmulGflops2ThreadsWall: ortTwoWall === null ? null : Number(ortTwoWall.toFixed(2)),
    onnxruntimeMatmulGflops1ThreadCpu: ortOneCpu === null ? null : Number(ortOneCpu.toFixed(2)),
    onnxruntimeCeilingGflops: ortCeiling === null ? null : Number(ortCeiling.toFixed(2)),
    ratioToOnnxruntime: ortCeiling === null ? null : Number((achieved / ortCeiling).toFixed(3)),
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    wallClockStepMs: Number(median(wallTimes).toFixed(1)),
  }),
);
