// pnpm bench train-step [--engine auto|wasm|cpu|tfjs-node|tfjs-node-gpu] [--rounds 3] [--onnxruntime-dir DIR]
//                       [--python /usr/bin/python3] [--no-torch] [--steps-only]
//
// Times one GPT train step (forward + backward + AdamW) at batch 64 × 64 tokens, d_model 128, 4 layers,
// and, interleaved in the same run, the same train step in eager PyTorch on 1 and 2 threads
// (torch_reference.py, in two child processes; checked to compute the same loss from the same weights),
// the engine's own best large-matmul throughput and (when onnxruntime-node can be loaded)
// onnxruntime's matmul throughput on 1 and 2 threads: the machine's ceiling. `--steps-only` leaves the
// matmul ceilings out. The last line is one JSON object with the figures (see README.md).
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
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
const python = arg("python", "/usr/bin/python3");
const withTorch = !process.argv.includes("--no-torch");
const withCeilings = !process.argv.includes("--steps-only");
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

// ---- the PyTorch reference (torch_reference.py) -----------------------------------------------------
// One long-lived Python process per thread count (OMP/OpenBLAS/MKL thread counts set in its
// environment), driven over stdin/stdout so that its timed steps interleave with the tfjs rounds: it
// prints a `ready` JSON line after start-up and warm-up, then answers `steps K` with K step times.
interface TorchReady {
  readonly version: string;
  readonly threads: number;
  readonly blas: string;
  readonly parameters: number;
  readonly initialLoss: number;
  readonly lossAfterOneStep: number;
}
interface TorchTimes {
  readonly wallMs: number[];
  readonly cpuMs: number[];
}

class TorchWorker {
  private readonly pending: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private stderr = "";
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.trimStart().startsWith("{")) this.pending.shift()?.resolve(line);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    const fail = (why: string) => {
      this.exited = true;
      const last = this.stderr.trim().split("\n").at(-1) ?? "";
      for (const p of this.pending.splice(0)) p.reject(new Error(last ? `${why}: ${last}` : why));
    };
    child.on("error", (e) => fail(`${python} could not start (${e.message})`));
    child.on("exit", (code) => fail(`${python} exited with code ${code}`));
  }

  /** Starts a worker on `threads` threads and waits for its `ready` line. */
  static async start(threads: number, init: string, parameters: number): Promise<TorchWorker & TorchReady> {
    const script = fileURLToPath(new URL("./torch_reference.py", import.meta.url));
    const env = { ...process.env };
    for (const v of ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]) env[v] = String(threads);
    const args = ["--serve", "--threads", String(threads), "--init", init];
    args.push("--expect-parameters", String(parameters));
    const child = spawn(python, [script, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    const worker = new TorchWorker(child);
    const ready = JSON.parse(await worker.nextLine()) as TorchReady;
    return Object.assign(worker, ready);
  }

  private nextLine(): Promise<string> {
    if (this.exited) return Promise.reject(new Error(this.stderr.trim().split("\n").at(-1) ?? "exited"));
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /** Times `k` train steps. */
  async steps(k: number): Promise<TorchTimes> {
    const line = this.nextLine();
    this.child.stdin.write(`steps ${k}\n`);
    return JSON.parse(await line) as TorchTimes;
  }

  close(): void {
    if (!this.exited) this.child.stdin.end("quit\n");
  }
}

/**
 * Writes the model's weights (parameterNames order, float32) and the token batch (int32 [B, T]) for
 * torch_reference.py: manifest.json names the tensors and shapes, data.bin holds the bytes in order.
 */
function writeInit(m: GptModel, tokens: readonly Int32Array[]): string {
  const dir = mkdtempSync(join(tmpdir(), "rlts-train-step-"));
  const weights = m.getWeights();
  const parameters = [...weights].map(([name, w]) => ({ name, shape: w.shape }));
  const chunks = [...weights.values()].map((w) => Buffer.from(Float32Array.from(w.data).buffer));
  for (const row of tokens) chunks.push(Buffer.from(Int32Array.from(row).buffer));
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({ parameters, tokens: { shape: [tokens.length, tokens[0].length] } }),
  );
  writeFileSync(join(dir, "data.bin"), Buffer.concat(chunks));
  return dir;
}

// ---- the GPT train step ---------------------------------------------------------------------------
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
const wallTimes: number[] = [];
const step = () => {
  const t0 = performance.now();
  const { loss } = model.trainStep(() => model.languageModelLoss(batch));
  return { loss, wallMs: performance.now() - t0 };
};
const timedStep = () => {
  wallTimes.push(step().wallMs);
};

console.log(
  `engine ${engine.device}; GPT ${model.numParameters} parameters (${nonEmbeddingParams} non-embedding), ` +
    `${(flopsPerStep / 1e9).toFixed(2)} GFLOP per step`,
);

// The PyTorch workers start from this model's initial weights and batch, before its first step.
let torchWorkers: (TorchWorker & TorchReady)[] = [];
let torchReason: string | null = withTorch ? null : "disabled by --no-torch";
if (withTorch && !existsSync(python)) torchReason = `${python} not found (pass --python PATH)`;
if (!torchReason) {
  const init = writeInit(model, batch);
  try {
    // One after the other, so that neither warm-up competes with the other for the cores.
    torchWorkers = [await TorchWorker.start(1, init, model.numParameters)];
    torchWorkers.push(await TorchWorker.start(2, init, model.numParameters));
  } catch (e) {
    for (const w of torchWorkers) w.close();
    torchWorkers = [];
    torchReason = `PyTorch reference unavailable: ${(e as Error).message}`;
  } finally {
    rmSync(init, { recursive: true, force: true });
  }
}
if (torchReason) console.log(`torch: ${torchReason}`);
else {
  const [t1] = torchWorkers;
  console.log(`torch ${t1.version} (${t1.blas}); initial loss ${t1.initialLoss.toFixed(6)}`);
}

// Two warm-up steps; their losses (before and after one AdamW step) are the parity check.
const rltsLosses = [step().loss, step().loss];
const parity = torchWorkers.length
  ? (() => {
      const torchLosses = [torchWorkers[0].initialLoss, torchWorkers[0].lossAfterOneStep];
      const maxAbsDiff = Math.max(...rltsLosses.map((l, i) => Math.abs(l - torchLosses[i])));
      return { rlts: rltsLosses, torch: torchLosses, maxAbsDiff, passed: maxAbsDiff <= 1e-4 };
    })()
  : null;
if (parity) {
  console.log(
    `loss parity (initial, after one step): rlts ${parity.rlts.map((l) => l.toFixed(6)).join(", ")}; ` +
      `torch ${parity.torch.map((l) => l.toFixed(6)).join(", ")}; ${parity.passed ? "same" : "DIFFERENT"}`,
  );
}

const ort = withCeilings ? await loadOnnxruntime() : undefined;
if (withCeilings && !ort) console.log("onnxruntime-node not found: the onnxruntime ceiling is not measured");
const stepTimes: number[] = [];
const matmul: number[] = [];
let bestShape: number[] = [];
const ortTwo: number[] = [];
const ortOne: number[] = [];
// At least 10 timed PyTorch steps per thread count in all, spread over the rounds.
const torchStepsPerRound = Math.max(4, Math.ceil(10 / rounds));
const torchTimes = torchWorkers.map(() => ({ wallMs: [] as number[], cpuMs: [] as number[] }));
for (let r = 0; r < rounds; r++) {
  const mm = withCeilings ? tfjsMatmulGflops() : undefined;
  if (mm) {
    matmul.push(mm.gflops);
    if (mm.gflops >= Math.max(...matmul)) bestShape = mm.shape;
  }
  for (let s = 0; s < 2; s++) stepTimes.push(timeMs(timedStep, clock));
  if (ort) {
    ortTwo.push(await ortMatmulGflops(ort, 2, "wall"));
    ortOne.push(await ortMatmulGflops(ort, 1, "cpu"));
  }
  const torchRound: TorchTimes[] = [];
  for (const [i, w] of torchWorkers.entries()) {
    const t = await w.steps(torchStepsPerRound);
    torchTimes[i].wallMs.push(...t.wallMs);
    torchTimes[i].cpuMs.push(...t.cpuMs);
    torchRound.push(t);
  }
  const ms = (xs: number[]) => xs.map((t) => t.toFixed(0)).join(", ");
  console.log(
    `round ${r + 1}/${rounds}: step ${ms(stepTimes.slice(-2))} ms` +
      (torchRound.length
        ? `; torch 1 thread ${ms(torchRound[0].cpuMs)} ms CPU, 2 threads ${ms(torchRound[1].wallMs)} ms wall`
        : "") +
      (mm ? `; tfjs matmul ${mm.gflops.toFixed(1)} GFLOP/s` : "") +
      (ort
        ? `; onnxruntime ${ortTwo.at(-1)!.toFixed(1)} GFLOP/s (2 threads, wall), ${ortOne.at(-1)!.toFixed(1)} (1 thread, CPU time)`
        : ""),
  );
}
model.dispose();
for (const w of torchWorkers) w.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x: number) => Number(x.toFixed(1));
const ratio = (x: number) => Number(x.toFixed(3));
const stepMs = median(stepTimes);
const wallStepMs = median(wallTimes);
const bestStepMs = Math.min(...stepTimes);
const achieved = flopsPerStep / stepMs / 1e6;
const engineMatmul = matmul.length ? Math.max(...matmul) : null;
// The ceiling: onnxruntime on both cores. Measured by the wall clock it suffers from other processes on
// a shared machine, so it is also estimated as 2 × the one-thread figure timed by CPU time; the larger
// of the two is used.
const ortOneCpu = ortOne.length ? Math.max(...ortOne) : null;
const ortTwoWall = ortTwo.length ? Math.max(...ortTwo) : null;
const ortCeiling = ortTwoWall === null || ortOneCpu === null ? null : Math.max(ortTwoWall, 2 * ortOneCpu);
// PyTorch's medians. The one-thread ratio compares like clocks: CPU time with CPU time when the engine
// is timed by CPU time (wasm, cpu), else wall with wall. The two-thread ratio is wall over wall: the
// engine's wall-clock step against PyTorch using both cores, interleaved in the same rounds.
const torch = torchWorkers.length
  ? {
      version: torchWorkers[0].version,
      blas: torchWorkers[0].blas,
      threads1StepMs: round1(median(torchTimes[0].wallMs)),
      threads1CpuStepMs: round1(median(torchTimes[0].cpuMs)),
      threads2StepMs: round1(median(torchTimes[1].wallMs)),
      threads2CpuStepMs: round1(median(torchTimes[1].cpuMs)),
      stepsPerThreadCount: torchTimes[0].wallMs.length,
    }
  : null;
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
    stepMs: round1(stepMs),
    bestStepMs: round1(bestStepMs),
    tokensPerSecond: Math.round((tokens / stepMs) * 1000),
    flopsPerStep,
    achievedGflops: Number(achieved.toFixed(2)),
    torch,
    torchReason,
    lossParity: parity,
    ratioToTorch1Thread: torch
      ? ratio((clock === "cpu" ? torch.threads1CpuStepMs : torch.threads1StepMs) / stepMs)
      : null,
    ratioToTorch2Threads: torch ? ratio(torch.threads2StepMs / wallStepMs) : null,
    engineMatmulGflops: engineMatmul === null ? null : Number(engineMatmul.toFixed(2)),
    engineMatmulShape: engineMatmul === null ? null : bestShape,
    ratioToEngineMatmul: engineMatmul === null ? null : ratio(achieved / engineMatmul),
    onnxruntimeMatmulGflops2ThreadsWall: ortTwoWall === null ? null : Number(ortTwoWall.toFixed(2)),
    onnxruntimeMatmulGflops1ThreadCpu: ortOneCpu === null ? null : Number(ortOneCpu.toFixed(2)),
    onnxruntimeCeilingGflops: ortCeiling === null ? null : Number(ortCeiling.toFixed(2)),
    ratioToOnnxruntime: ortCeiling === null ? null : ratio(achieved / ortCeiling),
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    wallClockStepMs: round1(wallStepMs),
  }),
);
// Not the same function: the figures above compare different models.
if (parity && !parity.passed) process.exitCode = 1;
