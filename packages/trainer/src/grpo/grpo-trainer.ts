import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { selectEngine } from "@rlts/backend-tfjs";
import {
  type Batch,
  ConfigError,
  type Metrics,
  type MetricsSink,
  type RewardInput,
  RltsError,
} from "@rlts/core";
import type { DistributedClient } from "@rlts/distributed";
import { writeRunReport } from "@rlts/report";
import type { DependencyContainer } from "tsyringe";
import type { GrpoConfig } from "../config/schema.js";
import { batchSizes, buildGrpoRun, type GrpoRun } from "./build-run.js";
import { checkpointMetadata, writeTrainerCheckpoint } from "./checkpoints.js";
import { evaluateGreedyAccuracy, type GrpoEvaluation } from "./evaluation.js";
import { samplerLogprobsAreScored, scoreSamples, trainingTemperature } from "./logprobs.js";
import { type TrainingBatch, updatePolicy } from "./policy-update.js";
import { type BatchRewards, scoreBatch } from "./rewards.js";
import { type GeneratedBatch, RolloutSchedule } from "./rollouts.js";
import { checkpointPath, RunFiles, runFileNames } from "./run-files.js";
import { sampleRows, stepMetrics } from "./step-metrics.js";

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

/** A generation batch with its rewards and advantages (the "score" and "advantages" stages). */
interface ScoredBatch extends GeneratedBatch {
  readonly inputs: readonly RewardInput[];
  readonly rewards: BatchRewards;
  readonly rewardSeconds: number;
  readonly advantages: Float64Array;
  readonly sampleMask: Uint8Array | undefined;
  readonly advantageMetrics: Readonly<Record<string, number>>;
}

/**
 * GRPO for language models (DeepSeekMath §4; TRL `GRPOTrainer`): each step takes `promptsPerStep`
 * prompts from a `PromptTask`, samples G completions of each from the rollout policy, scores them with
 * the configured reward plugins, turns rewards into advantages with the configured estimator, and
 * minimises the configured objective over μ passes of minibatches, accumulating gradients over
 * micro-batches. Every plugin is chosen by name through the registry and asked for what it can do;
 * one seed drives everything.
 *
 * Build one with {@link GrpoTrainer.create}, run it with {@link train}, free it with {@link dispose}.
 */
export class GrpoTrainer {
  /** The last completed step. */
  step: number;
  private lastCheckpoint: string | undefined;
  private readonly schedule: RolloutSchedule;
  private readonly log: (message: string) => void;

  private constructor(
    private readonly run: GrpoRun,
    private readonly files: RunFiles,
    private readonly options: GrpoTrainerOptions,
  ) {
    this.step = run.resumed?.state.step ?? 0;
    this.lastCheckpoint = run.resumed?.checkpoint;
    this.log = options.log ?? ((m: string) => console.info(m));
    this.schedule = new RolloutSchedule({
      config: run.config,
      policy: run.policy,
      tokenizer: run.tokenizer,
      rollout: run.rollout,
      reference: run.reference,
      prompts: run.prompts,
      sampleRng: run.sampleRng,
      refreshPeriod: run.objective.samplerRefreshPeriod ?? 1,
    });
  }

  /** Builds a trainer from a validated config: plugins, engine, task, model, rollout policy, reference. */
  static async create(config: GrpoConfig, options: GrpoTrainerOptions = {}): Promise<GrpoTrainer> {
    const baseDir = options.baseDir ?? process.cwd();
    const log = options.log ?? ((m: string) => console.info(m));
    await selectEngine({ prefer: config.engine.prefer, log });
    const run = await buildGrpoRun(config, {
      baseDir,
      resume: options.resume ?? false,
      log,
      register: options.register,
    });
    const files = await RunFiles.open(run.runDir, run.resumed?.state.step);
    await writeFile(join(run.runDir, runFileNames.config), `${JSON.stringify(config, null, 2)}\n`);
    return new GrpoTrainer(run, files, options);
  }

  /** The validated configuration. */
  get config(): GrpoConfig {
    return this.run.config;
  }
  /** The run's container (its plugin registry). */
  get container(): DependencyContainer {
    return this.run.container;
  }
  /** The run folder: metrics.jsonl, samples.jsonl, checkpoints/, report/. */
  get runDir(): string {
    return this.run.runDir;
  }
  get task() {
    return this.run.task;
  }
  /** The trained policy. */
  get policy() {
    return this.run.policy;
  }
  get tokenizer() {
    return this.run.tokenizer;
  }
  /** The rollout policy (α): samples completions and scores their log-probs. */
  get rollout() {
    return this.run.rollout;
  }
  /** The frozen reference π_ref, when `reference.enabled`. */
  get reference() {
    return this.run.reference;
  }
  get reward() {
    return this.run.reward;
  }
  get estimator() {
    return this.run.estimator;
  }
  get objective() {
    return this.run.objective;
  }
  /** Completions per generation batch (promptsPerStep × G). */
  get batchSize(): number {
    return this.config.rollout.promptsPerStep * this.config.rollout.groupSize;
  }
  /** The queue client of a distributed run (`distributed:` in the config), for audits and tests. */
  get distributed(): DistributedClient | undefined {
    return this.run.distributed;
  }
  /** The newest checkpoint this run wrote or resumed from. */
  get checkpoint(): string | undefined {
    return this.lastCheckpoint;
  }

  /**
   * Copies the current policy into the reference (a new stage of a curriculum: the KL is measured
   * against the policy from here on). The next checkpoint saves it, so a resumed run keeps it.
   */
  async resetReference(): Promise<void> {
    if (!this.run.reference)
      throw new ConfigError("reference.enabled", false, "enable the reference to reset it");
    await this.run.reference.setWeights(this.run.policy.getWeights());
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
      this.files.metrics.write({ step, ...metrics });
      this.files.timings.write({ step, ...timing });
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

  /** One GRPO step: generate → score → advantages → update → log. */
  private async runStep(step: number): Promise<{ metrics: Metrics; timing: StepTiming }> {
    await this.schedule.beforeStep(step);
    const batch = await this.schedule.take();
    const scored = await this.score(batch, step);
    const t0 = performance.now();
    const update = await this.update(scored, step);
    const trainSeconds = (performance.now() - t0) / 1000;
    return { metrics: this.logStep(scored, update, step), timing: this.timing(scored, trainSeconds) };
  }

  /** Decodes the completions and scores them with the run's rewards. */
  private async score(batch: GeneratedBatch, step: number): Promise<ScoredBatch> {
    const { tokenizer, reward, config } = this.run;
    const { generated, groupIds, examples, promptTexts } = batch;
    const t0 = performance.now();
    const inputs: RewardInput[] = generated.completions.map((c, i) => ({
      prompt: promptTexts[groupIds[i]],
      completion: tokenizer.decode(c, { skipSpecial: true }),
      fields: examples[groupIds[i]].fields,
      completionTokens: c.length,
      truncated: !generated.stopped[i],
    }));
    const onWorkers = config.distributed?.rewards ? this.run.distributed : undefined;
    const rewards = await scoreBatch(reward, inputs, groupIds, step, onWorkers);
    const rewardSeconds = (performance.now() - t0) / 1000;
    return { ...batch, inputs, rewards, rewardSeconds, ...this.advantages(rewards, groupIds) };
  }

  /**
   * Advantages of the batch's rewards by the run's estimator. A completion every reward abstained on
   * carries a placeholder 0 and is flagged `abstained`: the group estimators leave it out of their
   * statistics and give it advantage 0 (TRL nanmean/nanstd).
   */
  private advantages(rewards: BatchRewards, groupIds: Int32Array) {
    const N = groupIds.length;
    const abstained = Uint8Array.from(rewards.total, (r) => (r === null ? 1 : 0));
    const batch: Batch = {
      numSteps: 1,
      numEnvs: N,
      rewards: Float64Array.from(rewards.total, (r) => r ?? 0),
      terminated: new Uint8Array(N).fill(1),
      truncated: new Uint8Array(N),
      groupIds,
      ...(abstained.includes(1) ? { abstained } : {}),
    };
    const result = this.run.estimator.estimate(batch);
    if (result.tokenAdvantages) {
      throw new ConfigError(
        "advantage",
        this.config.advantage,
        "per-token advantages are not supported by the GRPO trainer; use an outcome estimator such as group or rloo",
      );
    }
    return {
      advantages: result.advantages,
      sampleMask: result.sampleMask,
      advantageMetrics: result.metrics ?? {},
    };
  }

  /**
   * Scores π_old and π_ref where needed, starts the next batch when overlapping, and updates the
   * policy. π_old is needed whenever the policy moves before the batch's last minibatch is trained on
   * (μ > 1, or several minibatches per generation batch: TRL scores old log-probs when one generation
   * batch spans several optimiser steps) and whenever the sampler is not the policy (v > 1, overlap).
   */
  private async update(b: ScoredBatch, step: number): Promise<Record<string, number>> {
    const { config, policy, objective, rollout, reference } = this.run;
    const { minibatchSize, microBatchSize } = batchSizes(config);
    const lengths = b.generated.completions.map((c) => c.length);
    const sequences = b.generated.completions.map((c, i) => {
      const s = new Int32Array(b.prompts[i].length + c.length);
      s.set(b.prompts[i]);
      s.set(c, b.prompts[i].length);
      return s;
    });
    const start = b.prompts.map((p) => p.length);
    const trainable = sequences.map((_, i) => i).filter((i) => lengths[i] > 0);
    const temperature = trainingTemperature(config);
    const optimizerSteps = config.train.iterations * Math.ceil(trainable.length / minibatchSize);
    const needsOld =
      optimizerSteps > 1 || this.schedule.samplerLags || objective.requires.includes("oldLogprobs");
    // log α of the sampled tokens: the sampler's own when it drew from exactly the scored distribution.
    const score = (scorer: typeof rollout) =>
      scoreSamples(scorer, sequences, start, trainable, microBatchSize, temperature);
    const oldLogprobs = needsOld
      ? samplerLogprobsAreScored(config)
        ? [...b.generated.logprobs]
        : await score(rollout)
      : undefined;
    const refLogprobs = reference ? await score(reference) : undefined;
    const overlapping = await this.schedule.launchNext(step);
    const batch: TrainingBatch = {
      sequences,
      start,
      lengths,
      truncated: Uint8Array.from(b.generated.stopped, (s) => (s ? 0 : 1)),
      advantages: b.advantages,
      sampleMask: b.sampleMask,
      oldLogprobs,
      refLogprobs,
      trainable,
      temperature,
    };
    return updatePolicy({
      policy,
      objective,
      batch,
      iterations: config.train.iterations,
      minibatchSize,
      microBatchSize,
      shuffleRng: this.run.shuffleRng,
      yieldBetween: overlapping,
    });
  }

  /** The step's metrics, and its sample completions written to samples.jsonl. */
  private logStep(b: ScoredBatch, updateMetrics: Record<string, number>, step: number): Metrics {
    const { config } = this.run;
    const metrics = stepMetrics({
      rewards: b.rewards,
      accuracyReward: config.train.accuracyReward,
      advantages: b.advantages,
      advantageMetrics: b.advantageMetrics,
      updateMetrics,
      lengths: b.generated.completions.map((c) => c.length),
      stopped: b.generated.stopped,
      distributed: this.run.distributed
        ? { deadGroups: b.rewards.deadGroups, stats: b.rolloutStats }
        : undefined,
    });
    const { promptsPerStep, groupSize } = config.rollout;
    for (const row of sampleRows(
      step,
      config.logging.samplesPerStep,
      promptsPerStep,
      groupSize,
      b.inputs,
      b.examples,
      b.groupIds,
      b.rewards,
      b.advantages,
    )) {
      this.files.samples.write(row);
    }
    return metrics;
  }

  private timing(b: ScoredBatch, trainSeconds: number): StepTiming {
    const tokens = b.generated.completions.reduce((n, c) => n + c.length, 0);
    return {
      generateSeconds: b.generateSeconds,
      rewardSeconds: b.rewardSeconds,
      trainSeconds,
      tokensPerSecond: b.generateSeconds > 0 ? tokens / b.generateSeconds : 0,
    };
  }

  /**
   * Writes the HTML report of the run folder (`report/index.html` with reward, accuracy, KL, length and
   * loss charts and sample completions) with `@rlts/report`; returns the page's path.
   */
  async writeReport(): Promise<string> {
    await this.flush();
    const result = await writeRunReport(this.runDir, { title: this.config.name });
    this.log(`report ${result.htmlPath}`);
    return result.htmlPath;
  }

  private async flush(): Promise<void> {
    await this.files.flush();
    for (const sink of this.options.sinks ?? []) await sink.flush?.();
  }

  /**
   * Writes the trainer checkpoint of the current step: the policy with AdamW state and the resume state
   * (RNG streams, prompt position, step), plus the reference and a lagging sampler when they differ
   * from the policy.
   */
  async writeCheckpoint(): Promise<string> {
    await this.flush();
    const { policy, tokenizer, config, baseDir, runDir, reference, rollout, shuffleRng } = this.run;
    const path = await writeTrainerCheckpoint({
      runDir,
      step: this.step,
      policy,
      metadata: checkpointMetadata(policy, tokenizer, config, baseDir),
      state: { ...this.schedule.samplingState(), shuffleRng: shuffleRng.getState() },
      reference,
      sampler: this.schedule.samplerLags ? rollout : undefined,
      keep: config.logging.keepCheckpoints,
    });
    this.lastCheckpoint = path;
    this.log(`checkpoint ${path}`);
    return path;
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
      model: this.run.policy,
      tokenizer: this.run.tokenizer,
      task: this.run.task,
      reward: this.run.reward,
      template: this.config.prompt.template,
      maxNewTokens: this.config.rollout.maxNewTokens,
      split: options.split ?? "test",
      limit: options.limit,
      batchSize: options.batchSize,
      label: options.label ?? `step ${this.step}`,
      step: this.step,
    });
    if (options.record ?? true) {
      this.files.evaluations.write({ ...evaluation });
      await this.files.evaluations.flush();
    }
    return evaluation;
  }

  /** Frees the models, the engines, the queue client and the run's container. */
  async dispose(): Promise<void> {
    await this.schedule.settle();
    await this.flush();
    this.run.policy.dispose();
    await this.run.rollout.dispose();
    await this.run.reference?.dispose();
    await this.run.engine.dispose();
    await this.run.distributed?.close();
    await this.run.container.dispose();
  }
}
