import { hostname } from "node:os";
import { OnnxGpt } from "@rlts/backend-onnx";
import {
  ConfigError,
  createContainer,
  createPlugin,
  createRng,
  loadPlugins,
  type PluginSpec,
  type RewardFunction,
  StateError,
} from "@rlts/core";
import { isDetailedReward, register as registerRewards } from "@rlts/rewards";
import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { DependencyContainer } from "tsyringe";
import { connectRedis } from "./connection.js";
import { definedOnly } from "./learner.js";
import {
  type QueueName,
  queueNames,
  type RewardJobData,
  type RewardJobResult,
  type RolloutJobData,
  type RolloutJobResult,
  type RunSpec,
  runKeys,
} from "./protocol.js";
import { createWeightStore } from "./weight-store.js";

/** Options of {@link startWorker} (the `rlts worker` command line). */
export interface WorkerOptions {
  /** The Redis URL. */
  readonly redis: string;
  /** Which queues to serve: `rollouts`, `rewards`, or both. */
  readonly queues: readonly QueueName[];
  /** Key prefix; the learner's `distributed.prefix`. Default `rlts`. */
  readonly prefix?: string;
  /**
   * Jobs taken at once per queue. Default 1. Reward jobs run concurrently (graders that wait on I/O
   * overlap); rollout jobs take turns on the one model (generation uses the cores already).
   */
  readonly concurrency?: number;
  /** Folder the run's `plugins:` resolve from. Default the working directory. */
  readonly pluginsFrom?: string;
  /**
   * Builds the container reward plugins are created from. Default: @rlts/rewards' built-ins, then the
   * run's `plugins:`. The `rlts worker` command passes the trainer's own, so a worker knows every reward
   * the learner knows.
   */
  readonly createContainer?: (plugins: readonly string[], from: string) => Promise<DependencyContainer>;
  /** How long a job's lock lasts without renewal, in ms; a dead worker's job is retried after it. Default 30 000. */
  readonly lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (of dead workers), in ms. Default 30 000. */
  readonly stalledIntervalMs?: number;
  /** onnxruntime threads per operator for rollouts; 0 lets onnxruntime choose. Default 0. */
  readonly threads?: number;
  /**
   * How long a job waits for its run description or weights version to appear, in ms, before it fails
   * (after a Redis restart without persistence, the learner publishes them again). Default 15 000.
   */
  readonly missingWaitMs?: number;
  /** Times a job may stall before it fails. Default 1. */
  readonly maxStalledCount?: number;
  /** Progress lines (one per job start and end). Default `console.info`. */
  readonly log?: (message: string) => void;
}

/** Defaults of {@link WorkerOptions}. */
export const workerDefaults = {
  prefix: "rlts",
  concurrency: 1,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 1,
  threads: 0,
  missingWaitMs: 15_000,
} as const;

/** Calls `probe` every 200 ms until it returns a value (not null) or `timeoutMs` passes; then null. */
async function waitUntil<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null || Date.now() >= end) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A running worker. */
export interface WorkerHandle {
  /** `host:pid`, as results name it. */
  readonly id: string;
  /** Jobs finished, by queue. */
  readonly done: Record<QueueName, number>;
  /** Stops taking jobs, lets the running ones finish, and disconnects. */
  close(): Promise<void>;
}

async function defaultContainer(plugins: readonly string[], from: string): Promise<DependencyContainer> {
  const container = createContainer();
  registerRewards(container);
  await loadPlugins(container, plugins, { from });
  return container;
}

/** The trainer's rule: one reward plugin, or a list combined by `composite`. */
export function createRunReward(
  container: DependencyContainer,
  reward: PluginSpec | readonly PluginSpec[],
): RewardFunction {
  const spec: PluginSpec = Array.isArray(reward)
    ? { name: "composite", components: reward }
    : (reward as PluginSpec);
  return createPlugin(container, "reward", spec, "reward");
}

interface RunState {
  readonly spec: RunSpec;
  gpt?: OnnxGpt;
  version?: number;
  reward?: Promise<{ container: DependencyContainer; reward: RewardFunction }>;
}

/**
 * Starts a worker on the given queues. A rollout job opens the run's GPT on onnxruntime (once per run),
 * loads the weights version the job names (kept until a job names another) and samples with the job's
 * seed; a reward job scores one group with the run's reward plugins, built by name. A worker killed
 * mid-job leaves a job whose lock expires; another worker's stalled-job check puts it back in the queue.
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const o = { ...workerDefaults, ...definedOnly(options), redis: options.redis, queues: options.queues };
  const log = options.log ?? ((m: string) => console.info(m));
  if (!o.queues.length || o.queues.some((q) => !queueNames.includes(q))) {
    throw new ConfigError(
      "--queue",
      o.queues.join(","),
      `use ${queueNames.join(", ")} or both (comma separated)`,
    );
  }
  const id = `${hostname()}:${process.pid}`;
  const from = o.pluginsFrom ?? process.cwd();
  const build = o.createContainer ?? defaultContainer;
  const redis: Redis = connectRedis(o.redis, (state, detail) =>
    log(state === "down" ? `Redis unreachable (${detail}); waiting` : `Redis is back (${detail})`),
  );
  const runs = new Map<string, Promise<RunState>>();
  const disposeRun = async (state: RunState) => {
    await state.gpt?.dispose();
    await (await state.reward?.catch(() => undefined))?.container.dispose();
  };

  // One promise per run, so that concurrent jobs of a new run share one description and one model.
  const runState = (runId: string): Promise<RunState> => {
    const known = runs.get(runId);
    if (known) return known;
    // One run at a time: a new run's jobs free the previous run's model and plugins.
    for (const [other, state] of runs) {
      runs.delete(other);
      state.then(disposeRun, () => {});
    }
    const state = (async (): Promise<RunState> => {
      const key = runKeys(o.prefix, runId).spec;
      const text = await waitUntil(() => redis.get(key), o.missingWaitMs);
      if (!text)
        throw new StateError(`run ${runId} is not described in Redis (is its learner still running?)`);
      return { spec: JSON.parse(text) as RunSpec };
    })();
    runs.set(runId, state);
    // A failed look-up is tried again by the job's next attempt.
    state.catch(() => {
      if (runs.get(runId) === state) runs.delete(runId);
    });
    return state;
  };

  // Rollout jobs take turns on the run's one OnnxGpt: a job must not swap the weights under another.
  let rolloutTurn: Promise<unknown> = Promise.resolve();
  const rollout = (job: Job<RolloutJobData>): Promise<RolloutJobResult> => {
    const result = rolloutTurn.then(() => rolloutNow(job));
    rolloutTurn = result.catch(() => {});
    return result;
  };
  const rolloutNow = async (job: Job<RolloutJobData>): Promise<RolloutJobResult> => {
    const d = job.data;
    const run = await runState(d.runId);
    if (run.version !== d.version) {
      const store = createWeightStore(run.spec.weights, redis, runKeys(o.prefix, d.runId));
      // A version Redis lost in a restart is published again by the learner's next poll.
      await waitUntil(async () => ((await store.has(d.version)) ? true : null), o.missingWaitMs);
      const weights = await store.fetch(d.version);
      if (run.gpt) run.gpt.setWeights(weights);
      else run.gpt = await OnnxGpt.create(run.spec.model, weights, { intraOpNumThreads: o.threads });
      run.version = d.version;
    }
    const prompts: Int32Array[] = [];
    for (const p of d.prompts) for (let g = 0; g < d.groupSize; g++) prompts.push(Int32Array.from(p));
    const out = await run.gpt!.generate({
      prompts,
      maxNewTokens: d.maxNewTokens,
      temperature: d.temperature,
      topK: d.topK,
      topP: d.topP,
      stopTokens: d.stopTokens,
      rng: createRng(d.seed),
    });
    return {
      version: d.version,
      worker: id,
      completions: out.completions.map((c) => Array.from(c)),
      logprobs: out.logprobs.map((l) => Array.from(l)),
      stopped: [...out.stopped],
    };
  };

  const score = async (job: Job<RewardJobData>): Promise<RewardJobResult> => {
    const run = await runState(job.data.runId);
    run.reward ??= build(run.spec.plugins, from).then((container) => ({
      container,
      reward: createRunReward(container, run.spec.reward),
    }));
    const { reward } = await run.reward.catch((error) => {
      run.reward = undefined; // a plugin that failed to load may be installed before the retry
      throw error;
    });
    const { inputs } = job.data;
    // A reward job is one prompt's group (rewards that normalise per group see all of it).
    const options = { groupIds: inputs.map(() => 0) };
    if (isDetailedReward(reward)) {
      const d = await reward.scoreDetailed(inputs, options);
      return { worker: id, total: [...d.total], components: d.components };
    }
    const scores = await reward.score(inputs, options);
    if (!Array.isArray(scores) || scores.length !== inputs.length) {
      throw new StateError(
        `reward "${reward.name}" returned ${Array.isArray(scores) ? scores.length : typeof scores} scores for ${inputs.length} completions`,
      );
    }
    scores.forEach((s, i) => {
      if (s !== null && !Number.isFinite(s))
        throw new StateError(`reward "${reward.name}": score ${i} is ${s}; return a finite number or null`);
    });
    return { worker: id, total: [...scores], components: { [reward.name]: [...scores] } };
  };

  const done: Record<QueueName, number> = { rollouts: 0, rewards: 0 };
  const workers = o.queues.map((queue) => {
    const process = queue === "rollouts" ? rollout : score;
    const worker = new Worker(
      queue,
      async (job: Job) => {
        log(`job ${job.id} start (${queue}, attempt ${job.attemptsMade + 1})`);
        const result = await process(job as Job<never>);
        log(`job ${job.id} done`);
        done[queue]++;
        return result;
      },
      {
        connection: redis,
        prefix: o.prefix,
        concurrency: o.concurrency,
        lockDuration: o.lockDurationMs,
        stalledInterval: o.stalledIntervalMs,
        maxStalledCount: o.maxStalledCount,
      },
    );
    worker.on("failed", (job, error) => log(`job ${job?.id} failed: ${error.message}`));
    worker.on("error", () => {}); // outages are reported once by the connection
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  log(`worker ${id} serving ${o.queues.join(", ")} on ${o.redis} (prefix ${o.prefix})`);
  return {
    id,
    done,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      for (const state of runs.values()) await state.then(disposeRun, () => {});
      redis.disconnect();
    },
  };
}
