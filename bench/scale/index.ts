// `pnpm bench scale`: rollout tokens/s with 1, 2 and 4 rollout worker processes (BullMQ on a local
// redis-server), against the same generation in this process, and the queue's overhead per job.
// Last line: one JSON object. Options: --rounds N (default 6), --threads N per worker (default 1).
import { type ChildProcess, spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gptWeightShapes, OnnxGpt, resolveGptConfig } from "../../packages/backend-onnx/src/index.js";
import { createRng, type NamedTensor, type Weights } from "../../packages/core/src/index.js";
import {
  DistributedClient,
  DistributedRolloutEngine,
  startRedisServer,
} from "../../packages/distributed/src/index.js";

const { values } = parseArgs({ options: { rounds: { type: "string" }, threads: { type: "string" } } });
const rounds = Number(values.rounds ?? 6);
const threads = Number(values.threads ?? 1);

// A small character-level GPT like the demo's, with long enough completions that sampling dominates.
const model = { vocabSize: 32, contextLength: 96, dModel: 64, nLayers: 2, nHeads: 4 };
const G = 8;
const promptsPerBatch = 16;
const maxNewTokens = 64;

function weights(seed: number): Weights {
  const rng = createRng(seed);
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of gptWeightShapes(resolveGptConfig(model))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = name.endsWith("gamma") ? 1 : 0.3 * rng.normal();
    out.set(name, { shape, data });
  }
  return out;
}
const w = weights(1);
const promptRng = createRng(2);
const distinct = Array.from({ length: promptsPerBatch }, () =>
  Int32Array.from({ length: 8 }, () => 1 + promptRng.int(model.vocabSize - 1)),
);
// No stop token: every completion is maxNewTokens long, so each batch is the same amount of work.
const request = (seed: number) => ({
  prompts: distinct.flatMap((p) => Array.from({ length: G }, () => p)),
  maxNewTokens,
  temperature: 1,
  rng: createRng(seed),
});
const tokensOf = (completions: readonly Int32Array[]) => completions.reduce((s, c) => s + c.length, 0);

const loadAtStart = loadavg()[0];
const server = await startRedisServer();
const children: ChildProcess[] = [];
const spawnWorker = (prefix: string, queue = "rollouts") =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=@rlts/source",
        "--import",
        "tsx",
        fileURLToPath(new URL("./worker.ts", import.meta.url)),
        server.url,
        prefix,
        String(threads),
        queue,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(child);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("serving")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  });

try {
  // All configurations run side by side and are measured in turns (in-process, 1, 2, 4 workers, then
  // again), so that load from other work on the machine falls on each of them alike. Idle workers only
  // wait on Redis. The in-process baseline is one onnxruntime session with the workers' thread count.
  const local = await OnnxGpt.create(model, w, { intraOpNumThreads: threads });
  await local.generate(request(0));
  const counts = [1, 2, 4] as const;
  const setups = [];
  for (const n of counts) {
    const prefix = `bench-${n}`;
    await Promise.all(Array.from({ length: n }, () => spawnWorker(prefix)));
    const client = await DistributedClient.connect(
      { redis: server.url, prefix, promptsPerJob: 2 },
      { log: () => {} },
    );
    await client.describeRun({ model, reward: "length", plugins: [] });
    const engine = await DistributedRolloutEngine.create(
      client,
      {
        score: () => Promise.reject(new Error("unused")),
        setWeights: () => {},
        getWeights: () => w,
        dispose: () => {},
      },
      { groupSize: G },
    );
    await engine.generate(request(0)); // every worker opens its session and fetches the weights
    setups.push({ n, client, engine, tokens: 0, seconds: 0 });
  }
  let localTokens = 0;
  let localSeconds = 0;
  let t0 = 0;
  for (let r = 0; r < rounds; r++) {
    t0 = performance.now();
    localTokens += tokensOf((await local.generate(request(100 + r))).completions);
    localSeconds += (performance.now() - t0) / 1000;
    for (const setup of setups) {
      t0 = performance.now();
      setup.tokens += tokensOf((await setup.engine.generate(request(100 + r))).completions);
      setup.seconds += (performance.now() - t0) / 1000;
    }
    console.error(`round ${r + 1}/${rounds}`);
  }
  await local.dispose();
  const inProcessTokensPerSecond = localTokens / localSeconds;
  console.error(`in-process: ${inProcessTokensPerSecond.toFixed(0)} tokens/s`);
  const byWorkers: Record<string, number> = {};
  for (const { n, client, tokens, seconds } of setups) {
    byWorkers[n] = tokens / seconds;
    const perWorker = new Map<string, number>();
    for (const e of client.ledger) perWorker.set(e.worker, (perWorker.get(e.worker) ?? 0) + 1);
    console.error(
      `${n} worker(s): ${byWorkers[n].toFixed(0)} tokens/s (jobs per worker: ${[...perWorker.values()].join(", ")})`,
    );
    await client.close();
  }
  for (const child of children.splice(0)) {
    child.removeAllListeners("exit");
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }

  // Queue overhead: an empty reward job (no completions to grade) through a real worker process, one
  // at a time (round trip: add → worker → completion event → learner) and 200 at once (throughput).
  const echoWorker = await spawnWorker("bench-echo", "rewards");
  const client = await DistributedClient.connect(
    { redis: server.url, prefix: "bench-echo" },
    { log: () => {} },
  );
  await client.describeRun({ model, reward: "length", plugins: [] });
  const empty = (id: string) => ({ id: `${client.runId}-${id}`, data: { runId: client.runId, inputs: [] } });
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    const [outcome] = await client.rewards.run([empty(`one-${i}`)]);
    if (!outcome.ok) throw new Error(`empty job failed: ${outcome.reason}`);
    if (i >= 10) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const roundTripMs = times[Math.floor(times.length / 2)];
  t0 = performance.now();
  await client.rewards.run(Array.from({ length: 200 }, (_, i) => empty(`many-${i}`)));
  const perJobBatchedMs = (performance.now() - t0) / 200;
  await client.close();
  echoWorker.removeAllListeners("exit");
  echoWorker.kill("SIGTERM");
  console.error(
    `empty job: ${roundTripMs.toFixed(2)} ms round trip, ${perJobBatchedMs.toFixed(3)} ms per job in a batch of 200`,
  );

  const round3 = (x: number) => Number(x.toPrecision(3));
  console.log(
    JSON.stringify({
      cores: cpus().length,
      // Other work on the machine: the 1-minute load average when the run started.
      loadAverageAtStart: round3(loadAtStart),
      threadsPerWorker: threads,
      tokensPerBatch: promptsPerBatch * G * maxNewTokens,
      rounds,
      inProcessTokensPerSecond: round3(inProcessTokensPerSecond),
      workerTokensPerSecond: { 1: round3(byWorkers[1]), 2: round3(byWorkers[2]), 4: round3(byWorkers[4]) },
      speedupVsOneWorker: { 2: round3(byWorkers[2] / byWorkers[1]), 4: round3(byWorkers[4] / byWorkers[1]) },
      oneWorkerVsInProcess: round3(byWorkers[1] / inProcessTokensPerSecond),
      emptyJobRoundTripMs: round3(roundTripMs),
      emptyJobBatchedMsPerJob: round3(perJobBatchedMs),
    }),
  );
} finally {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await server.stop();
}
