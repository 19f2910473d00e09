import { register as registerAdvantages } from "@rlts/advantages";
import { register as registerOnnx } from "@rlts/backend-onnx";
import {
  type AdamWOptions,
  CharTokenizer,
  GptModel,
  loadCheckpoint,
  register as registerTfjs,
} from "@rlts/backend-tfjs";
import {
  type AdvantageEstimator,
  ConfigError,
  createContainer,
  createPlugin,
  createRng,
  type InferenceEngine,
  type InferencePolicy,
  isInferenceEngine,
  loadPlugins,
  type Objective,
  type PluginSpec,
  type RewardFunction,
  type Rng,
  rngFromState,
} from "@rlts/core";
import type { DistributedClient } from "@rlts/distributed";
import { isPromptTask, type PromptIterator, type PromptTask, register as registerEnv } from "@rlts/env";
import { register as registerObjectives } from "@rlts/objectives";
import { register as registerRewards } from "@rlts/rewards";
import type * as tf from "@tensorflow/tfjs-core";
import type { DependencyContainer } from "tsyringe";
import { resolveFrom } from "../config/load-config.js";
import type { GrpoConfig } from "../config/schema.js";
import { type TrainerState, trainerStateOf } from "./checkpoints.js";
import { loadDistributed } from "./distributed.js";
import { loadModelCheckpoint } from "./model-io.js";
import { checkpointPath, listCheckpointSteps } from "./run-files.js";

/** The task spec with relative `path`/`files` resolved against the config's folder. */
function resolveTaskPaths(spec: PluginSpec, baseDir: string): PluginSpec {
  if (typeof spec === "string") return spec;
  const out: Record<string, unknown> = { ...spec };
  if (typeof out.path === "string") out.path = resolveFrom(baseDir, out.path);
  if (out.files && typeof out.files === "object") {
    out.files = Object.fromEntries(
      Object.entries(out.files as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === "string" ? resolveFrom(baseDir, v) : v,
      ]),
    );
  }
  return out as PluginSpec;
}

/**
 * A run's container: the built-in plugins of @rlts/env, rewards, advantages, objectives,
 * backend-tfjs and backend-onnx, then the config's third-party `plugins:` (imported by name from
 * `baseDir`), then `register` (apps and tests adding their own).
 */
export async function createRunContainer(
  config: GrpoConfig,
  baseDir: string,
  register?: (container: DependencyContainer) => void | Promise<void>,
): Promise<DependencyContainer> {
  const container = createContainer();
  for (const builtIn of [
    registerEnv,
    registerRewards,
    registerAdvantages,
    registerObjectives,
    registerTfjs,
    registerOnnx,
  ]) {
    builtIn(container);
  }
  await loadPlugins(container, config.plugins, { from: baseDir });
  await register?.(container);
  return container;
}

/** The config's prompt task (`task:`), with relative dataset paths resolved against `baseDir`. */
export function createTask(container: DependencyContainer, config: GrpoConfig, baseDir: string): PromptTask {
  const task = createPlugin(container, "env", resolveTaskPaths(config.task as PluginSpec, baseDir), "task");
  if (!isPromptTask(task)) {
    throw new ConfigError(
      "task",
      config.task,
      "name a prompt task plugin (synthetic-arithmetic, jsonl-prompts, or a third-party one), not an environment",
    );
  }
  return task;
}

/** The config's reward: one plugin, or a list of them combined by `composite` (each component logged). */
export function createReward(container: DependencyContainer, config: GrpoConfig): RewardFunction {
  const spec: PluginSpec = Array.isArray(config.reward)
    ? { name: "composite", components: config.reward }
    : (config.reward as PluginSpec);
  return createPlugin(container, "reward", spec, "reward");
}

/** Everything a GRPO run is made of, built from its config (see {@link buildGrpoRun}). */
export interface GrpoRun {
  readonly config: GrpoConfig;
  readonly container: DependencyContainer;
  readonly baseDir: string;
  readonly runDir: string;
  readonly task: PromptTask;
  readonly reward: RewardFunction;
  readonly estimator: AdvantageEstimator;
  readonly objective: Objective<tf.Tensor>;
  /** The trained policy (tfjs) and its tokenizer. */
  readonly policy: GptModel;
  readonly tokenizer: CharTokenizer;
  /** The engine plugin (`rollout.engine`) that built the rollout and reference policies. */
  readonly engine: InferenceEngine;
  /** Samples completions and scores log α; a distributed run's wraps the local one. */
  readonly rollout: InferencePolicy;
  /** The frozen reference π_ref (`reference.enabled`). */
  readonly reference: InferencePolicy | undefined;
  readonly distributed: DistributedClient | undefined;
  /** The prompt stream, and the sampling and minibatch-shuffle RNG streams (restored on resume). */
  readonly prompts: PromptIterator;
  readonly sampleRng: Rng;
  readonly shuffleRng: Rng;
  /** The checkpoint a resumed run continues from, and its state. */
  readonly resumed: { readonly checkpoint: string; readonly state: TrainerState } | undefined;
}

/** Options of {@link buildGrpoRun}. */
export interface BuildRunOptions {
  readonly baseDir: string;
  readonly resume: boolean;
  readonly log: (message: string) => void;
  readonly register?: (container: DependencyContainer) => void | Promise<void>;
}

/** Generation batch, minibatch and micro-batch sizes, checked against each other. */
export function batchSizes(config: GrpoConfig): {
  readonly batchSize: number;
  readonly minibatchSize: number;
  readonly microBatchSize: number;
} {
  const batchSize = config.rollout.promptsPerStep * config.rollout.groupSize;
  const minibatchSize = config.train.minibatchSize ?? batchSize;
  const microBatchSize = config.train.microBatchSize ?? minibatchSize;
  if (batchSize % minibatchSize !== 0) {
    throw new ConfigError(
      "train.minibatchSize",
      minibatchSize,
      `use a divisor of the generation batch promptsPerStep × groupSize = ${batchSize}`,
    );
  }
  if (minibatchSize % microBatchSize !== 0) {
    throw new ConfigError(
      "train.microBatchSize",
      microBatchSize,
      `use a divisor of minibatchSize = ${minibatchSize}`,
    );
  }
  return { batchSize, minibatchSize, microBatchSize };
}

/** The model to train: a resumed run's checkpoint, else a base checkpoint, else a random GPT. */
async function buildPolicy(
  config: GrpoConfig,
  baseDir: string,
  optimizer: AdamWOptions,
  resumeFrom: string | undefined,
  log: (message: string) => void,
): Promise<{ policy: GptModel; tokenizer: CharTokenizer; state?: TrainerState }> {
  if (resumeFrom) {
    const loaded = await loadModelCheckpoint(resumeFrom, { optimizer, field: "resume" });
    const state = trainerStateOf(loaded.metadata);
    if (!state) {
      loaded.model.dispose();
      throw new ConfigError(
        "resume",
        resumeFrom,
        "this checkpoint holds no trainer state; it is not a GRPO run checkpoint",
      );
    }
    log(`resuming from ${resumeFrom} (step ${state.step})`);
    return { policy: loaded.model, tokenizer: loaded.tokenizer, state };
  }
  if (config.model.checkpoint) {
    const path = resolveFrom(baseDir, config.model.checkpoint);
    const base = await loadModelCheckpoint(path);
    // RL starts with fresh optimiser moments: the base checkpoint's AdamW state belongs to its warm-up.
    const policy = new GptModel({ ...base.model.config, optimizer });
    policy.setWeights(base.model.getWeights(), `checkpoint ${path}`);
    base.model.dispose();
    return { policy, tokenizer: base.tokenizer };
  }
  const t = config.model.tokenizer!;
  const tokenizer = CharTokenizer.fromText(t.text, { multiCharTokens: t.multiCharTokens });
  const policy = new GptModel({
    ...config.model.gpt!,
    vocabSize: tokenizer.vocabSize,
    seed: config.seed,
    optimizer,
  });
  return { policy, tokenizer };
}

/** The rollout engine plugin (`rollout.engine`), which must build inference policies. */
async function buildEngine(container: DependencyContainer, config: GrpoConfig): Promise<InferenceEngine> {
  const engine = createPlugin(container, "engine", config.rollout.engine as PluginSpec, "rollout.engine");
  if (!isInferenceEngine(engine)) {
    await engine.dispose();
    throw new ConfigError(
      "rollout.engine",
      config.rollout.engine,
      `the "${engine.name}" engine cannot build inference policies (createInferencePolicy); use onnx or tfjs`,
    );
  }
  await engine.ready?.();
  return engine;
}

/**
 * Builds a GRPO run from a validated config: plugins, the training engine's model, the rollout engine
 * and its policies, the distributed queue client, the prompt stream and RNG streams (restored from
 * the newest checkpoint with `resume`). Every plugin is chosen by name; what the trainer needs to
 * know of one it asks the plugin (capabilities), never its name. A failure part-way frees what was
 * built, so a caller that catches the error leaks no tensors, sessions or connections.
 */
export async function buildGrpoRun(config: GrpoConfig, options: BuildRunOptions): Promise<GrpoRun> {
  const { baseDir, log } = options;
  const container = await createRunContainer(config, baseDir, options.register);
  const runDir = resolveFrom(baseDir, config.runDir);
  const steps = await listCheckpointSteps(runDir);
  if (!options.resume && steps.length > 0) {
    throw new ConfigError(
      "runDir",
      runDir,
      "holds checkpoints of an earlier run; continue it with --resume (resume: true) or choose another runDir",
    );
  }
  const resumeFrom =
    options.resume && steps.length ? checkpointPath(runDir, steps[steps.length - 1]) : undefined;

  const task = createTask(container, config, baseDir);
  const reward = createReward(container, config);
  const objective = createPlugin(
    container,
    "objective",
    config.objective as PluginSpec,
    "objective",
  ) as Objective<tf.Tensor>;
  // The config's estimator, else the one the objective is defined with (off-policy GRPO's eq. 2), else group.
  const estimator = createPlugin(
    container,
    "advantage",
    (config.advantage ?? objective.advantage ?? "group") as PluginSpec,
    "advantage",
  );
  // Stale samples need an objective that importance-corrects against the sampler's own log α.
  if (config.distributed && config.distributed.maxStaleness > 0 && !objective.acceptsStaleSamples) {
    throw new ConfigError(
      "distributed.maxStaleness",
      config.distributed.maxStaleness,
      `only the grpo-offpolicy objective and others that declare acceptsStaleSamples importance-correct stale samples; use 0 with ${objective.name}`,
    );
  }
  const { batchSize, minibatchSize } = batchSizes(config);
  const updatesPerStep = config.train.iterations * (batchSize / minibatchSize);
  const optimizer: AdamWOptions = {
    ...config.optimizer,
    totalSteps:
      config.optimizer.totalSteps ??
      (config.optimizer.decay === "constant" ? 0 : config.train.steps * updatesPerStep),
  };

  const { policy, tokenizer, state } = await buildPolicy(config, baseDir, optimizer, resumeFrom, log);
  const built: { dispose(): unknown }[] = [policy];
  let distributed: DistributedClient | undefined;
  try {
    const engine = await buildEngine(container, config);
    built.push(engine);
    // Rollouts and reference log-probs run on the rollout engine, the training weights synced in.
    const model = { architecture: "gpt", config: { ...policy.config } };
    const local = await engine.createInferencePolicy(model, policy.getWeights());
    let rollout: InferencePolicy = local;
    const reference = config.reference.enabled
      ? await engine.createInferencePolicy(model, policy.getWeights())
      : undefined;

    // Distributed: generation on rollout workers (the local policy still scores α), rewards on reward workers.
    if (config.distributed) {
      const module = await loadDistributed();
      const { rewards: _rewards, ...connection } = config.distributed;
      distributed = await module.DistributedClient.connect(connection, { log });
      const { vocabSize, contextLength, dModel, nLayers, nHeads, dFF, tieEmbeddings } = policy.config;
      await distributed.describeRun({
        model: { vocabSize, contextLength, dModel, nLayers, nHeads, dFF, tieEmbeddings },
        reward: config.reward as PluginSpec | PluginSpec[],
        plugins: config.plugins,
      });
      rollout = await module.DistributedRolloutEngine.create(distributed, local, {
        groupSize: config.rollout.groupSize,
        acceptStale: objective.acceptsStaleSamples === true,
      });
      log(
        `distributed: run ${distributed.runId} on ${config.distributed.redis} (prefix ${config.distributed.prefix}, weights ${config.distributed.weights}); start workers with: rlts worker --queue rollouts${config.distributed.rewards ? ",rewards" : ""} --redis ${config.distributed.redis}`,
      );
    }

    const root = createRng(config.seed);
    let sampleRng = root.split();
    let shuffleRng = root.split();
    const prompts = task.iterate({
      split: config.prompt.split,
      seed: config.seed,
      shuffle: config.prompt.shuffle,
    });
    if (state && resumeFrom) {
      sampleRng = rngFromState(state.sampleRng);
      shuffleRng = rngFromState(state.shuffleRng);
      prompts.setState(state.prompts);
      const restore = async (target: InferencePolicy, part: "ref" | "sampler") => {
        const saved = new GptModel({ ...policy.config });
        try {
          await loadCheckpoint(checkpointPath(runDir, state.step, part), saved);
          await target.setWeights(saved.getWeights());
        } finally {
          saved.dispose();
        }
      };
      if (state.hasReference && reference) await restore(reference, "ref");
      if (state.hasSampler) await restore(rollout, "sampler");
    }
    return {
      config,
      container,
      baseDir,
      runDir,
      task,
      reward,
      estimator,
      objective,
      policy,
      tokenizer,
      engine,
      rollout,
      reference,
      distributed,
      prompts,
      sampleRng,
      shuffleRng,
      resumed: state && resumeFrom ? { checkpoint: resumeFrom, state } : undefined,
    };
  } catch (error) {
    for (const part of built.reverse()) await part.dispose();
    await distributed?.close(); // an open connection would keep the process alive
    throw error;
  }
}
