import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { register as registerAdvantages } from "@rlts/advantages";
import {
  CharTokenizer,
  GptModel,
  loadCheckpoint,
  register as registerTfjs,
  saveCheckpoint,
  selectEngine,
} from "@rlts/backend-tfjs";
import {
  type AdvantageEstimator,
  type Batch,
  ConfigError,
  createContainer,
  createPlugin,
  createRng,
  type GenerateResult,
  type LossInputs,
  loadPlugins,
  type Metrics,
  type MetricsSink,
  type Objective,
  type PluginSpec,
  type RewardFunction,
  type RewardInput,
  RltsError,
  type Rng,
  type RngState,
  rngFromState,
} from "@rlts/core";
import type { DistributedClient, RolloutStats } from "@rlts/distributed";
import {
  isPromptTask,
  type PromptExample,
  type PromptIterator,
  type PromptIteratorState,
  type PromptTask,
  register as registerEnv,
} from "@rlts/env";
import { register as registerObjectives } from "@rlts/objectives";
import { writeRunReport } from "@rlts/report";
import { isDetailedReward, register as registerRewards } from "@rlts/rewards";
import * as tf from "@tensorflow/tfjs-core";
import type { DependencyContainer } from "tsyringe";
import { resolveFrom } from "../config/load-config.js";
import type { GrpoConfig } from "../config/schema.js";
import { loadDistributed } from "./distributed.js";
import { accumulatedStep, accumulatedStepAsync } from "./grad-accumulation.js";
import { loadModelCheckpoint, type ModelMetadata } from "./model-io.js";
import { OnnxRolloutEngine, type RolloutEngine, TfjsRolloutEngine } from "./rollout-engine.js";
import {
  checkpointPath,
  ensureRunDir,
  JsonlWriter,
  listCheckpointSteps,
  pruneCheckpoints,
  runFileNames,
  truncateJsonlAfter,
} from "./run-files.js";

/** A reward plugin threw (a composite records component failures instead; a bare reward cannot). */
export class RewardError extends RltsError {}

/** A training step failed; the message says which step and which checkpoint is still intact. */
export class TrainingStepError extends RltsError {
  constructor(
    readonly step: number,
    readonly lastCheckpoint: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `step ${step} failed: ${(cause as Error)?.message ?? String(cause)}\n` +
        (lastCheckpoint
          ? `nothing was written for this step; the last checkpoint ${lastCheckpoint} is intact (continue from it with --resume)`
          : "nothing was written for this step; no checkpoint had been written yet"),
    );
  }
}

/** Wall-clock figures of one step (kept out of metrics.jsonl so that resumed runs log identical lines). */
export interface StepTiming {
  readonly generateSeconds: number;
  readonly rewardSeconds: number;
  readonly trainSeconds: number;
  /** Completion tokens sampled per second of generation. */
  readonly tokensPerSecond: number;
}

/** Options of {@link GrpoTrainer.create} besides the config. */
export interface GrpoTrainerOptions {
  /** Folder relative paths of the config resolve against. Default: the working directory. */
  readonly baseDir?: string;
  /** Continue from the newest checkpoint in the run folder (a fresh start when there is none). */
  readonly resume?: boolean;
  /** More places for each step's metrics (a progress bar, memory for tests). */
  readonly sinks?: readonly MetricsSink[];
  /** Called after each step with its metrics and timing. */
  readonly onStep?: (step: number, metrics: Metrics, timing: StepTiming) => void;
  /** Messages: engine choice, checkpoints, resume. Default `console.info`. */
  readonly log?: (message: string) => void;
  /** Registers more plugins into the run's container (after the built-ins and `plugins:`). */
  readonly register?: (container: DependencyContainer) => void | Promise<void>;
}

/** What {@link GrpoTrainer.train} ended with. */
export interface GrpoRunResult {
  /** The last completed step. */
  readonly step: number;
  /** Whether the run stopped early because the signal was aborted. */
  readonly interrupted: boolean;
  /** Metrics of the last step (empty when no step ran). */
  readonly metrics: Metrics;
  /** The newest checkpoint written, if any. */
  readonly checkpoint: string | undefined;
  /** The HTML report written at the end of the run (`logging.report`), if any. */
  readonly report?: string;
}

/** Accuracy of greedy answers on a split, by reward label. */
export interface GrpoEvaluation {
  readonly label: string;
  readonly step: number;
  readonly n: number;
  readonly accuracy: Readonly<Record<string, number>>;
}

interface TrainerState {
  readonly version: 1;
  readonly step: number;
  readonly sampleRng: RngState;
  readonly shuffleRng: RngState;
  readonly prompts: PromptIteratorState;
  readonly hasReference: boolean;
  readonly hasSampler: boolean;
}

/** Objectives that define their own group advantages (off-policy GRPO's eq. 2 and zero-variance mask). */
interface OwnAdvantages {
  advantages(
    rewards: ArrayLike<number>,
    groupIds: ArrayLike<number>,
  ): {
    advantages: Float64Array;
    keep: Uint8Array;
    metrics: Readonly<Record<string, number>>;
  };
}

/** One sampled generation batch, prompt-major (completion i answers prompt groupIds[i]). */
interface GeneratedBatch {
  readonly examples: readonly PromptExample[];
  readonly promptTexts: readonly string[];
  readonly prompts: readonly Int32Array[];
  readonly groupIds: Int32Array;
  readonly generated: GenerateResult;
  readonly generateSeconds: number;
  /** Staleness figures of a distributed rollout engine. */
  readonly rolloutStats?: RolloutStats;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function hasOwnAdvantages(objective: object): objective is OwnAdvantages {
  return typeof (objective as Partial<OwnAdvantages>).advantages === "function";
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length ? s / values.length : 0;
}

function std(values: ArrayLike<number>): number {
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] - m) ** 2;
  return values.length ? Math.sqrt(s / values.length) : 0;
}

/** Right-pads float rows to `[B, L]`. */
function padRows(rows: readonly ArrayLike<number>[], L: number): Float32Array {
  const out = new Float32Array(rows.length * L);
  rows.forEach((r, b) => {
    for (let k = 0; k < Math.min(L, r.length); k++) out[b * L + k] = r[k];
  });
  return out;
}

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
 * A run's container: the built-in plugins of @rlts/env, rewards, advantages, objectives and
 * backend-tfjs, then the config's third-party `plugins:` (imported by name from `baseDir`), then
 * `register` (apps and tests adding their own).
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

/**
 * GRPO for language models (DeepSeekMath §4; TRL `GRPOTrainer`): each step takes `promptsPerStep`
 * prompts from a `PromptTask`, samples G completions of each from the rollout engine, scores them with
 * the configured reward plugins, turns rewards into advantages with the configured estimator, and
 * minimises the configured objective over μ passes of minibatches, accumulating gradients over
 * micro-batches. Every plugin is chosen by name through the registry; one seed drives everything.
 *
 * Build one with {@link GrpoTrainer.create}, run it with {@link train}, free it with {@link dispose}.
 */
export class GrpoTrainer {
  /** The last completed step. */
  step = 0;
  private lastCheckpoint: string | undefined;
  private pending:
    | { batch: Promise<GeneratedBatch>; before: { sampleRng: RngState; prompts: PromptIteratorState } }
    | undefined;
  private metricsFile!: JsonlWriter;
  private samplesFile!: JsonlWriter;
  private timingsFile!: JsonlWriter;
  private evaluationsFile!: JsonlWriter;
  private distributedClient: DistributedClient | undefined;

  private constructor(
    readonly config: GrpoConfig,
    readonly container: DependencyContainer,
    readonly runDir: string,
    readonly task: PromptTask,
    readonly policy: GptModel,
    readonly tokenizer: CharTokenizer,
    readonly rollout: RolloutEngine,
    readonly reference: RolloutEngine | undefined,
    readonly reward: RewardFunction,
    readonly estimator: AdvantageEstimator,
    readonly objective: Objective<tf.Tensor>,
    private readonly prompts: PromptIterator,
    private sampleRng: Rng,
    private shuffleRng: Rng,
    private readonly options: GrpoTrainerOptions,
    private readonly baseDir: string,
  ) {}

  /** Builds a trainer from a validated config: plugins, engine, task, model, rollout engine, reference. */
  static async create(config: GrpoConfig, options: GrpoTrainerOptions = {}): Promise<GrpoTrainer> {
    const baseDir = options.baseDir ?? process.cwd();
    const log = options.log ?? ((m: string) => console.info(m));
    const container = await createRunContainer(config, baseDir, options.register);
    await selectEngine({ prefer: config.engine.prefer, log });

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
    const estimator = createPlugin(container, "advantage", config.advantage as PluginSpec, "advantage");
    const objective = createPlugin(
      container,
      "objective",
      config.objective as PluginSpec,
      "objective",
    ) as Objective<tf.Tensor>;

    // Stale samples need an objective that importance-corrects against the sampler's own log α.
    if (config.distributed && config.distributed.maxStaleness > 0 && objective.name !== "grpo-offpolicy") {
      throw new ConfigError(
        "distributed.maxStaleness",
        config.distributed.maxStaleness,
        `only the grpo-offpolicy objective importance-corrects stale samples; use 0 with ${objective.name}`,
      );
    }

    const { promptsPerStep, groupSize } = config.rollout;
    const batchSize = promptsPerStep * groupSize;
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
    const updatesPerStep = config.train.iterations * (batchSize / minibatchSize);
    const optimizer = {
      ...config.optimizer,
      totalSteps:
        config.optimizer.totalSteps ??
        (config.optimizer.decay === "constant" ? 0 : config.train.steps * updatesPerStep),
    };

    // The model: a resumed run's checkpoint, else a base checkpoint, else a random GPT.
    let policy: GptModel;
    let tokenizer: CharTokenizer;
    let state: TrainerState | undefined;
    if (resumeFrom) {
      const loaded = await loadModelCheckpoint(resumeFrom, { optimizer, field: "resume" });
      policy = loaded.model;
      tokenizer = loaded.tokenizer;
      state = (loaded.metadata as ModelMetadata & { trainer?: TrainerState }).trainer;
      if (!state) {
        policy.dispose();
        throw new ConfigError(
          "resume",
          resumeFrom,
          "this checkpoint holds no trainer state; it is not a GRPO run checkpoint",
        );
      }
      log(`resuming from ${resumeFrom} (step ${state.step})`);
    } else if (config.model.checkpoint) {
      const path = resolveFrom(baseDir, config.model.checkpoint);
      const base = await loadModelCheckpoint(path);
      // RL starts with fresh optimiser moments: the base checkpoint's AdamW state belongs to its warm-up.
      policy = new GptModel({ ...base.model.config, optimizer });
      policy.setWeights(base.model.getWeights(), `checkpoint ${path}`);
      base.model.dispose();
      tokenizer = base.tokenizer;
    } else {
      const t = config.model.tokenizer!;
      tokenizer = CharTokenizer.fromText(t.text, { multiCharTokens: t.multiCharTokens });
      policy = new GptModel({
        ...config.model.gpt!,
        vocabSize: tokenizer.vocabSize,
        seed: config.seed,
        optimizer,
      });
    }

    // From here on a failure (an engine that cannot load, Redis unreachable, a bad checkpoint part)
    // frees what was built, so a caller that catches the error leaks no tensors or sessions.
    const built: { dispose(): unknown }[] = [policy];
    let distributedClient: DistributedClient | undefined;
    let trainer: GrpoTrainer;
    try {
      // Rollouts and reference log-probs run on the configured engine, tfjs training weights synced in.
      const engineOf = async (source: GptModel): Promise<RolloutEngine> => {
        if (config.rollout.engine === "onnx")
          return OnnxRolloutEngine.create(source.config, source.getWeights());
        const copy = new GptModel({ ...source.config });
        copy.setWeights(source.getWeights(), "policy weights");
        return new TfjsRolloutEngine(copy);
      };
      let rollout = await engineOf(policy);
      built.push(rollout);
      const reference = config.reference.enabled ? await engineOf(policy) : undefined;
      if (reference) built.push(reference);

      // Distributed: generation on rollout workers (the local engine still scores α), rewards on reward workers.
      if (config.distributed) {
        const distributed = await loadDistributed();
        const { rewards: _rewards, ...connection } = config.distributed;
        distributedClient = await distributed.DistributedClient.connect(connection, { log });
        const { vocabSize, contextLength, dModel, nLayers, nHeads, dFF, tieEmbeddings } = policy.config;
        await distributedClient.describeRun({
          model: { vocabSize, contextLength, dModel, nLayers, nHeads, dFF, tieEmbeddings },
          reward: config.reward as PluginSpec | PluginSpec[],
          plugins: config.plugins,
        });
        // The distributed engine wraps the local one (it still scores α) and disposes it in turn.
        rollout = await distributed.DistributedRolloutEngine.create(distributedClient, rollout, {
          groupSize: config.rollout.groupSize,
          acceptStale: objective.name === "grpo-offpolicy",
        });
        log(
          `distributed: run ${distributedClient.runId} on ${config.distributed.redis} (prefix ${config.distributed.prefix}, weights ${config.distributed.weights}); start workers with: rlts worker --queue rollouts${config.distributed.rewards ? ",rewards" : ""} --redis ${config.distributed.redis}`,
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
        const restore = async (engine: RolloutEngine, part: "ref" | "sampler") => {
          const saved = new GptModel({ ...policy.config });
          try {
            await loadCheckpoint(checkpointPath(runDir, state.step, part), saved);
            await engine.setWeights(saved.getWeights());
          } finally {
            saved.dispose();
          }
        };
        if (state.hasReference && reference) await restore(reference, "ref");
        if (state.hasSampler) await restore(rollout, "sampler");
      }

      trainer = new GrpoTrainer(
        config,
        container,
        runDir,
        task,
        policy,
        tokenizer,
        rollout,
        reference,
        reward,
        estimator,
        objective,
        prompts,
        sampleRng,
        shuffleRng,
        options,
        baseDir,
      );
    } catch (error) {
      for (const part of built.reverse()) await part.dispose();
      await distributedClient?.close(); // an open connection would keep the process alive
      throw error;
    }
    await ensureRunDir(runDir);
    const files = {
      metrics: join(runDir, runFileNames.metrics),
      samples: join(runDir, runFileNames.samples),
      timings: join(runDir, runFileNames.timings),
      evaluations: join(runDir, runFileNames.evaluations),
    };
    if (state && resumeFrom) {
      trainer.step = state.step;
      trainer.lastCheckpoint = resumeFrom;
      for (const f of Object.values(files)) await truncateJsonlAfter(f, state.step);
    } else {
      for (const f of Object.values(files)) await rm(f, { force: true });
    }
    trainer.metricsFile = new JsonlWriter(files.metrics);
    trainer.samplesFile = new JsonlWriter(files.samples);
    trainer.timingsFile = new JsonlWriter(files.timings);
    trainer.evaluationsFile = new JsonlWriter(files.evaluations);
    trainer.distributedClient = distributedClient;
    await writeFile(join(runDir, runFileNames.config), `${JSON.stringify(config, null, 2)}\n`);
    return trainer;
  }

  /**
   * Copies the current policy into the reference (a new stage of a curriculum: the KL is measured
   * against the policy from here on). The next checkpoint saves it, so a resumed run keeps it.
   */
  async resetReference(): Promise<void> {
    if (!this.reference) {
      throw new ConfigError("reference.enabled", false, "enable the reference to reset it");
    }
    await this.reference.setWeights(this.policy.getWeights());
  }

  /** Completions per generation batch (promptsPerStep × G). */
  get batchSize(): number {
    return this.config.rollout.promptsPerStep * this.config.rollout.groupSize;
  }

  /** The queue client of a distributed run (`distributed:` in the config), for audits and tests. */
  get distributed(): DistributedClient | undefined {
    return this.distributedClient;
  }

  /** The newest checkpoint this run wrote or resumed from. */
  get checkpoint(): string | undefined {
    return this.lastCheckpoint;
  }

  /**
   * Runs until `train.steps` (or `steps`, when given) steps are done. When `signal` aborts, the current
   * step finishes, a checkpoint is written and the run returns with `interrupted: true`.
   */
  async train(
    options: { readonly signal?: AbortSignal; readonly steps?: number } = {},
  ): Promise<GrpoRunResult> {
    const last = options.steps ?? this.config.train.steps;
    const every = this.config.logging.checkpointEvery;
    let metrics: Metrics = {};
    while (this.step < last) {
      if (options.signal?.aborted) {
        await this.writeCheckpoint();
        return { step: this.step, interrupted: true, metrics, checkpoint: this.lastCheckpoint };
      }
      const step = this.step + 1;
      let timing: StepTiming;
      try {
        ({ metrics, timing } = await this.runStep(step));
      } catch (error) {
        throw new TrainingStepError(step, this.lastCheckpoint, error);
      }
      this.step = step;
      this.metricsFile.write({ step, ...metrics });
      this.timingsFile.write({ step, ...timing });
      for (const sink of this.options.sinks ?? []) await sink.log(step, metrics);
      this.options.onStep?.(step, metrics, timing);
      if ((every > 0 && step % every === 0) || step === last) await this.writeCheckpoint();
      else await this.flush();
    }
    if (options.signal?.aborted && this.lastCheckpoint !== checkpointPath(this.runDir, this.step)) {
      await this.writeCheckpoint();
    }
    const report = this.config.logging.report && this.step > 0 ? await this.writeReport() : undefined;
    return { step: this.step, interrupted: false, metrics, checkpoint: this.lastCheckpoint, report };
  }

  /**
   * Writes the HTML report of the run folder (`report/index.html` with reward, accuracy, KL, length and
   * loss charts and sample completions) with `@rlts/report`; returns the page's path.
   */
  async writeReport(): Promise<string> {
    await this.flush();
    const result = await writeRunReport(this.runDir, { title: this.config.name });
    (this.options.log ?? console.info)(`report ${result.htmlPath}`);
    return result.htmlPath;
  }

  private async flush(): Promise<void> {
    await this.metricsFile.flush();
    await this.samplesFile.flush();
    await this.timingsFile.flush();
    await this.evaluationsFile.flush();
    for (const sink of this.options.sinks ?? []) await sink.flush?.();
  }

  /**
   * Writes the trainer checkpoint of the current step: the policy with AdamW state and the resume state
   * (RNG streams, prompt position, step), plus the reference and a lagging sampler when they differ
   * from the policy. Companion files are written first and the main file last, each atomically, so the
   * newest main file always has its companions.
   */
  async writeCheckpoint(): Promise<string> {
    await this.flush();
    const step = this.step;
    const hasSampler = (this.objective.samplerRefreshPeriod ?? 1) > 1 || this.config.rollout.overlap;
    const save = async (engine: RolloutEngine, part: "ref" | "sampler") => {
      const copy = new GptModel({ ...this.policy.config });
      try {
        copy.setWeights(await engine.getWeights(), `${part} weights`);
        await saveCheckpoint(checkpointPath(this.runDir, step, part), copy, { step });
      } finally {
        copy.dispose();
      }
    };
    if (this.reference) await save(this.reference, "ref");
    if (hasSampler) await save(this.rollout, "sampler");
    const trainer: TrainerState = {
      version: 1,
      step,
      sampleRng: this.pending?.before.sampleRng ?? this.sampleRng.getState(),
      shuffleRng: this.shuffleRng.getState(),
      prompts: this.pending?.before.prompts ?? this.prompts.getState(),
      hasReference: this.reference !== undefined,
      hasSampler,
    };
    const path = checkpointPath(this.runDir, step);
    const metadata: ModelMetadata = {
      format: "rlts-gpt",
      model: this.policy.config,
      tokenizer: this.tokenizer.toJSON(),
      trainer,
      config: this.config,
      baseDir: this.baseDir,
    };
    await saveCheckpoint(path, this.policy, { step, metadata });
    this.lastCheckpoint = path;
    await pruneCheckpoints(this.runDir, this.config.logging.keepCheckpoints);
    (this.options.log ?? console.info)(`checkpoint ${path}`);
    return path;
  }

  private promptText(example: PromptExample): string {
    return this.config.prompt.template.replaceAll("{question}", example.question);
  }

  /** Draws the next prompts and samples G completions of each with the rollout engine. */
  private async generateBatch(): Promise<GeneratedBatch> {
    const { config, policy, tokenizer } = this;
    const { groupSize: G, promptsPerStep, maxNewTokens, temperature, topK, topP } = config.rollout;
    const examples = this.prompts.nextBatch(promptsPerStep);
    if (examples.length < promptsPerStep) {
      throw new ConfigError("task", config.task, "the prompt split ran out of examples");
    }
    const promptTexts = examples.map((e) => this.promptText(e));
    const promptIds = promptTexts.map((t) => tokenizer.encode(t, { bos: true }));
    const C = policy.config.contextLength;
    promptIds.forEach((p, i) => {
      if (p.length + maxNewTokens > C) {
        throw new ConfigError(
          "rollout.maxNewTokens",
          maxNewTokens,
          `prompt ${JSON.stringify(promptTexts[i])} has ${p.length} tokens; prompt + maxNewTokens must fit the model's contextLength ${C}`,
        );
      }
    });
    const N = promptsPerStep * G;
    const groupIds = new Int32Array(N);
    const prompts: Int32Array[] = [];
    for (let p = 0; p < promptsPerStep; p++) {
      for (let g = 0; g < G; g++) {
        groupIds[p * G + g] = p;
        prompts.push(promptIds[p]);
      }
    }

    const t0 = performance.now();
    const generated = await this.rollout.generate({
      prompts,
      maxNewTokens,
      temperature,
      topK,
      topP,
      stopTokens: [tokenizer.eosId],
      rng: this.sampleRng,
    });
    const generateSeconds = (performance.now() - t0) / 1000;
    const rolloutStats = (this.rollout as { stats?: RolloutStats }).stats;
    return { examples, promptTexts, prompts, groupIds, generated, generateSeconds, rolloutStats };
  }

  /**
   * Starts sampling the next batch now, to overlap with this step's training (`rollout.overlap`).
   * The RNG and prompt positions before it are kept: a checkpoint taken while it runs resumes by
   * sampling it again from the same state and the same (saved) sampler weights.
   */
  private launchNextBatch(): void {
    const before = { sampleRng: this.sampleRng.getState(), prompts: this.prompts.getState() };
    const batch = this.generateBatch();
    batch.catch(() => {}); // awaited by the next step; a failure surfaces there
    this.pending = { batch, before };
  }

  /** One GRPO step: generate, reward, advantages, μ passes of accumulated minibatch updates. */
  private async runStep(step: number): Promise<{ metrics: Metrics; timing: StepTiming }> {
    const { config, policy, tokenizer } = this;
    const { groupSize: G, promptsPerStep } = config.rollout;
    const refresh = this.objective.samplerRefreshPeriod ?? 1;
    // α ← π_θ every v updates (off-policy GRPO Alg. 1); v = 1 is on-policy GRPO.
    // With overlap the sampler is synced when the next batch is launched (below), never here.
    if (!config.rollout.overlap && (step - 1) % refresh === 0) {
      await this.rollout.setWeights(policy.getWeights());
    }
    const resetEvery = config.reference.resetEvery;
    if (this.reference && resetEvery > 0 && step > 1 && (step - 1) % resetEvery === 0) {
      await this.reference.setWeights(policy.getWeights());
    }

    const overlapping = this.pending;
    this.pending = undefined;
    const { examples, promptTexts, prompts, groupIds, generated, generateSeconds, rolloutStats } = overlapping
      ? await overlapping.batch
      : await this.generateBatch();
    const N = prompts.length;
    const completions = generated.completions;
    const lengths = completions.map((c) => c.length);
    const totalTokens = lengths.reduce((a, b) => a + b, 0);

    let t0 = performance.now();
    const inputs: RewardInput[] = completions.map((c, i) => ({
      prompt: promptTexts[groupIds[i]],
      completion: tokenizer.decode(c, { skipSpecial: true }),
      fields: examples[groupIds[i]].fields,
      completionTokens: c.length,
      truncated: !generated.stopped[i],
    }));
    const { total, components, deadGroups } = await this.scoreRewards(inputs, groupIds, step);
    const rewardSeconds = (performance.now() - t0) / 1000;
    // A completion every reward abstained on (null) carries a placeholder 0 and is flagged: the group
    // estimators leave it out of their statistics and give it advantage 0 (TRL nanmean/nanstd).
    const rewards = Float64Array.from(total, (r) => r ?? 0);
    const abstained = Uint8Array.from(total, (r) => (r === null ? 1 : 0));
    const scored = total.filter((r): r is number => r !== null);

    // Advantages: the objective's own (off-policy GRPO eq. 2 with its zero-variance mask) or the estimator's.
    let advantages: Float64Array;
    let keep: Uint8Array | undefined;
    let advantageMetrics: Readonly<Record<string, number>> = {};
    if (hasOwnAdvantages(this.objective)) {
      const own = this.objective.advantages(rewards, groupIds);
      advantages = own.advantages;
      keep = own.keep;
      advantageMetrics = own.metrics;
    } else {
      const batch: Batch = {
        numSteps: 1,
        numEnvs: N,
        rewards,
        terminated: new Uint8Array(N).fill(1),
        truncated: new Uint8Array(N),
        groupIds,
        ...(scored.length < N ? { abstained } : {}),
      };
      const result = this.estimator.estimate(batch);
      if (result.tokenAdvantages) {
        throw new ConfigError(
          "advantage",
          this.config.advantage,
          "per-token advantages are not supported by the GRPO trainer; use an outcome estimator such as group or rloo",
        );
      }
      advantages = result.advantages;
      advantageMetrics = result.metrics ?? {};
    }

    // Sequences prompt ++ completion, scored from the first completion token.
    const sequences = completions.map((c, i) => {
      const s = new Int32Array(prompts[i].length + c.length);
      s.set(prompts[i]);
      s.set(c, prompts[i].length);
      return s;
    });
    const start = prompts.map((p) => p.length);
    const trainable = sequences.map((_, i) => i).filter((i) => lengths[i] > 0);
    const minibatchSize = config.train.minibatchSize ?? N;
    const microBatchSize = config.train.microBatchSize ?? minibatchSize;
    // Training-side log-probs are of softmax(z/T) at the sampling temperature (TRL `logits / temperature`).
    const { temperature: sampleTemperature, topK, topP } = config.rollout;
    const temperature =
      config.train.logprobTemperature === "sampling"
        ? sampleTemperature > 0
          ? sampleTemperature
          : 1
        : config.train.logprobTemperature;
    const scoreChunks = async (scorer: { score: RolloutEngine["score"] }): Promise<Float32Array[]> => {
      const out: Float32Array[] = sequences.map(() => new Float32Array(0));
      for (let a = 0; a < trainable.length; a += microBatchSize) {
        const idx = trainable.slice(a, a + microBatchSize);
        const r = await scorer.score({
          sequences: idx.map((i) => sequences[i]),
          start: idx.map((i) => start[i]),
          temperature,
        });
        idx.forEach((i, k) => {
          out[i] = r.logprobs[k];
        });
      }
      return out;
    };
    t0 = performance.now();
    // π_old is needed whenever the policy moves before the batch's last minibatch is trained on (μ > 1,
    // or several minibatches per generation batch: TRL scores old log-probs when one generation batch
    // spans several optimiser steps), and whenever the sampler is not the policy (off-policy, overlap).
    const optimizerSteps = config.train.iterations * Math.ceil(trainable.length / minibatchSize);
    const needsOld =
      optimizerSteps > 1 ||
      refresh > 1 ||
      config.rollout.overlap ||
      this.objective.requires.includes("oldLogprobs");
    // log α of the sampled tokens: the sampler reported them when it drew from exactly the distribution
    // scored here (no top-k/top-p truncation, same temperature); else they are scored with its weights.
    const sampledFromScored = topK === 0 && topP === 1 && sampleTemperature === temperature;
    const oldLogprobs = needsOld
      ? sampledFromScored
        ? [...generated.logprobs]
        : await scoreChunks(this.rollout)
      : undefined;
    const refLogprobs = this.reference ? await scoreChunks(this.reference) : undefined;
    const overlap = config.rollout.overlap && step < config.train.steps;
    if (overlap) {
      // Batch s+1 is sampled from π_θ before this update while it trains: α lags π_θ by one update.
      if (step % refresh === 0) await this.rollout.setWeights(policy.getWeights());
      this.launchNextBatch();
    }
    const wantsEntropy = this.objective.requires.includes("entropy");
    const objectiveOptions = (
      this.objective as { options?: { lossType?: string; gradientAccumulationSteps?: number } }
    ).options;
    const numMicro = minibatchSize / microBatchSize;
    // Loss scaling for accumulation: dapo divides by the minibatch's token count (numItemsInBatch) and
    // is exact as is; objectives that divide by their own gradientAccumulationSteps are rescaled to
    // 1/numMicro; every other objective's micro-batch mean is weighted 1/numMicro.
    const scale =
      objectiveOptions?.lossType === "dapo"
        ? 1
        : (objectiveOptions?.gradientAccumulationSteps ?? 1) / numMicro;

    const sums: Record<string, number> = {};
    const counts: Record<string, number> = {};
    const addMetric = (k: string, v: number) => {
      if (!Number.isFinite(v)) return;
      sums[k] = (sums[k] ?? 0) + v;
      counts[k] = (counts[k] ?? 0) + 1;
    };
    const order = Int32Array.from(trainable);
    for (let it = 0; it < config.train.iterations; it++) {
      // Fisher–Yates with the shuffle stream: minibatch order is seeded and resumable.
      for (let i = order.length - 1; i > 0; i--) {
        const j = this.shuffleRng.int(i + 1);
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (let m = 0; m < order.length; m += minibatchSize) {
        const minibatch = Array.from(order.subarray(m, m + minibatchSize));
        // The tokens the objective's loss counts in this optimiser step (TRL num_items_in_batch).
        const counted = minibatch
          .filter((i) => !keep || keep[i])
          .map((i) => ({ tokens: lengths[i], truncated: !generated.stopped[i] }));
        const numItemsInBatch =
          this.objective.countLossTokens?.(counted) ?? counted.reduce((s, c) => s + c.tokens, 0);
        const micro: (() => tf.Scalar)[] = [];
        for (let u = 0; u < minibatch.length; u += microBatchSize) {
          const idx = minibatch.slice(u, u + microBatchSize);
          micro.push(() => {
            const lp = policy.sequenceLogProbs(
              { sequences: idx.map((i) => sequences[i]), start: idx.map((i) => start[i]), temperature },
              { entropy: wantsEntropy },
            );
            const [B, L] = lp.logprobs.shape;
            const mask = keep
              ? tf.mul(
                  lp.mask,
                  tf.tensor2d(
                    Float32Array.from(idx, (i) => keep[i]),
                    [B, 1],
                  ),
                )
              : lp.mask;
            const lossInputs: LossInputs<tf.Tensor> = {
              logprobs: lp.logprobs,
              mask,
              entropy: lp.entropy,
              advantages: tf.tensor1d(Float32Array.from(idx, (i) => advantages[i])),
              oldLogprobs: oldLogprobs
                ? tf.tensor2d(
                    padRows(
                      idx.map((i) => oldLogprobs[i]),
                      L,
                    ),
                    [B, L],
                  )
                : undefined,
              refLogprobs: refLogprobs
                ? tf.tensor2d(
                    padRows(
                      idx.map((i) => refLogprobs[i]),
                      L,
                    ),
                    [B, L],
                  )
                : undefined,
              truncated: tf.tensor1d(Float32Array.from(idx, (i) => (generated.stopped[i] ? 0 : 1))),
              numItemsInBatch: Math.max(numItemsInBatch, 1),
            };
            const out = this.objective.loss(lossInputs);
            for (const [k, v] of Object.entries(out.metrics)) {
              if (k === "loss") continue;
              addMetric(k, typeof v === "number" ? v : (v as tf.Tensor).dataSync()[0]);
            }
            return tf.mul(out.loss, scale) as tf.Scalar;
          });
        }
        const lr = policy.adamw.currentLr;
        const result = overlap
          ? await accumulatedStepAsync(policy, micro, yieldToEventLoop)
          : accumulatedStep(policy, micro);
        addMetric("loss", result.loss);
        addMetric("grad_norm", result.gradNorm);
        addMetric("lr", lr);
      }
    }
    const trainSeconds = (performance.now() - t0) / 1000;

    const metrics: Record<string, number> = {
      reward: mean(scored),
      "reward/std": std(scored),
      // The share of completions no reward could score (left out of every statistic above and below).
      "reward/abstained": (N - scored.length) / N,
    };
    for (const [label, scores] of Object.entries(components)) {
      const valid = scores.filter((s): s is number => s !== null);
      if (valid.length) metrics[`reward/${label}`] = mean(valid);
    }
    const accuracyScores = components[config.train.accuracyReward];
    if (accuracyScores) {
      metrics.accuracy = mean(accuracyScores.map((s) => (s !== null && s > 0 ? 1 : 0)));
    }
    metrics["advantage/mean"] = mean(advantages);
    metrics["advantage/std"] = std(advantages);
    for (const [k, v] of Object.entries(advantageMetrics)) if (Number.isFinite(v)) metrics[k] = v;
    for (const k of Object.keys(sums)) metrics[k] = sums[k] / counts[k];
    metrics["completion_length/mean"] = mean(lengths);
    metrics["completion_length/clipped_ratio"] = mean(generated.stopped.map((s) => (s ? 0 : 1)));
    metrics.tokens = totalTokens;
    if (this.distributedClient) {
      // Dead-lettered groups abstain: reward 0 for the whole group, hence zero group-relative advantage.
      metrics["distributed/dead_letter_groups"] = deadGroups;
      metrics["distributed/stale_rejected"] = rolloutStats?.staleRejected ?? 0;
      metrics["distributed/stale_accepted"] = rolloutStats?.staleAccepted ?? 0;
    }

    const perStep = config.logging.samplesPerStep;
    for (let k = 0; k < Math.min(perStep, N); k++) {
      // One completion per prompt first, so the samples show different prompts.
      const i = (k % promptsPerStep) * G + Math.floor(k / promptsPerStep);
      if (i >= N) continue;
      this.samplesFile.write({
        step,
        prompt: inputs[i].prompt,
        completion: inputs[i].completion,
        answer: examples[groupIds[i]].answer,
        rewards: Object.fromEntries(Object.entries(components).map(([l, s]) => [l, s[i]])),
        total_reward: total[i],
        advantage: advantages[i],
      });
    }
    return {
      metrics,
      timing: {
        generateSeconds,
        rewardSeconds,
        trainSeconds,
        tokensPerSecond: generateSeconds > 0 ? totalTokens / generateSeconds : 0,
      },
    };
  }

  private async scoreRewards(
    inputs: readonly RewardInput[],
    groupIds: Int32Array,
    step: number,
  ): Promise<{
    total: (number | null)[];
    components: Record<string, readonly (number | null)[]>;
    deadGroups: number;
  }> {
    if (this.distributedClient && this.config.distributed?.rewards) {
      // One reward job per prompt's group; a group dead-lettered after every attempt abstains (null).
      const scored = await this.distributedClient.scoreGroups(inputs, groupIds);
      return { total: scored.total, components: scored.components, deadGroups: scored.deadGroups.length };
    }
    const { reward } = this;
    try {
      if (isDetailedReward(reward)) {
        const detailed = await reward.scoreDetailed(inputs);
        return { total: [...detailed.total], components: detailed.components, deadGroups: 0 };
      }
      const scores = await reward.score(inputs);
      if (!Array.isArray(scores) || scores.length !== inputs.length) {
        throw new Error(
          `returned ${Array.isArray(scores) ? scores.length : typeof scores} scores for ${inputs.length} completions`,
        );
      }
      scores.forEach((s, i) => {
        if (s !== null && !Number.isFinite(s))
          throw new Error(`score ${i} is ${s}; return a finite number or null`);
      });
      return { total: [...scores], components: { [reward.name]: scores }, deadGroups: 0 };
    } catch (error) {
      throw new RewardError(
        `reward "${reward.name}" failed at step ${step}: ${(error as Error).message}. ` +
          "Fix the reward plugin, or list it as a component of a composite reward (reward: [ ... ]), which records failures as 0 instead of stopping",
      );
    }
  }

  /**
   * Greedy (temperature 0) accuracy on `split` (default `test`): for each component of the run's reward,
   * the fraction of examples it scores above 0. Recorded in `evaluations.jsonl`, which the report shows
   * as its before/after table (call {@link writeReport} again after a final evaluation).
   */
  async evaluate(
    options: {
      readonly split?: "train" | "test";
      readonly limit?: number;
      readonly batchSize?: number;
      readonly label?: string;
      /** Append it to the run folder's evaluations.jsonl (the report's before/after table). Default true. */
      readonly record?: boolean;
    } = {},
  ): Promise<GrpoEvaluation> {
    const evaluation = await evaluateGreedyAccuracy({
      model: this.policy,
      tokenizer: this.tokenizer,
      task: this.task,
      reward: this.reward,
      template: this.config.prompt.template,
      maxNewTokens: this.config.rollout.maxNewTokens,
      split: options.split ?? "test",
      limit: options.limit,
      batchSize: options.batchSize,
      label: options.label ?? `step ${this.step}`,
      step: this.step,
    });
    if (options.record ?? true) {
      this.evaluationsFile.write({ ...evaluation });
      await this.evaluationsFile.flush();
    }
    return evaluation;
  }

  /** Frees the models and the run's container. */
  async dispose(): Promise<void> {
    await this.pending?.batch.catch(() => {});
    this.pending = undefined;
    await this.flush();
    this.policy.dispose();
    await this.rollout.dispose();
    await this.reference?.dispose();
    await this.distributedClient?.close();
    await this.container.dispose();
  }
}

/** Inputs of {@link evaluateGreedyAccuracy}. */
export interface GreedyAccuracyOptions {
  readonly model: GptModel;
  readonly tokenizer: CharTokenizer;
  readonly task: PromptTask;
  readonly reward: RewardFunction;
  readonly template: string;
  readonly maxNewTokens: number;
  readonly split: "train" | "test";
  readonly limit?: number;
  readonly batchSize?: number;
  readonly label: string;
  readonly step: number;
}

/**
 * Greedy completions of the first `limit` examples of a split, scored by `reward`; accuracy per
 * component is the fraction scored above 0 (per the whole reward for a non-composite one).
 */
export async function evaluateGreedyAccuracy(o: GreedyAccuracyOptions): Promise<GrpoEvaluation> {
  const examples = o.task.examples(o.split).slice(0, o.limit ?? Number.POSITIVE_INFINITY);
  if (examples.length === 0) throw new ConfigError("eval.split", o.split, "this split holds no examples");
  const batch = o.batchSize ?? 32;
  const hits: Record<string, number> = {};
  for (let a = 0; a < examples.length; a += batch) {
    const part = examples.slice(a, a + batch);
    const texts = part.map((e) => o.template.replaceAll("{question}", e.question));
    const out = await o.model.generate({
      prompts: texts.map((t) => o.tokenizer.encode(t, { bos: true })),
      maxNewTokens: o.maxNewTokens,
      temperature: 0,
      stopTokens: [o.tokenizer.eosId],
      rng: createRng(0),
    });
    const inputs: RewardInput[] = out.completions.map((c, i) => ({
      prompt: texts[i],
      completion: o.tokenizer.decode(c, { skipSpecial: true }),
      fields: part[i].fields,
      completionTokens: c.length,
      truncated: !out.stopped[i],
    }));
    const components: Record<string, readonly (number | null)[]> = isDetailedReward(o.reward)
      ? (await o.reward.scoreDetailed(inputs)).components
      : { [o.reward.name]: await o.reward.score(inputs) };
    for (const [label, scores] of Object.entries(components)) {
      hits[label] = (hits[label] ?? 0) + scores.filter((s) => s !== null && s > 0).length;
    }
  }
  const accuracy = Object.fromEntries(Object.entries(hits).map(([k, v]) => [k, v / examples.length]));
  return { label: o.label, step: o.step, n: examples.length, accuracy };
}
