import type { CharTokenizer, GptModel } from "@rlts/backend-tfjs";
import { ConfigError, type GenerateResult, type InferencePolicy, type Rng, type RngState } from "@rlts/core";
import type { RolloutStats } from "@rlts/distributed";
import type { PromptExample, PromptIterator, PromptIteratorState } from "@rlts/env";
import type { GrpoConfig } from "../config/schema.js";
import { promptText } from "./evaluation.js";

/** One sampled generation batch, prompt-major (completion i answers prompt groupIds[i]). */
export interface GeneratedBatch {
  readonly examples: readonly PromptExample[];
  readonly promptTexts: readonly string[];
  readonly prompts: readonly Int32Array[];
  readonly groupIds: Int32Array;
  readonly generated: GenerateResult;
  readonly generateSeconds: number;
  /** Staleness figures of a distributed rollout engine. */
  readonly rolloutStats?: RolloutStats;
}

/** The sampling position a checkpoint saves: the RNG and prompt stream before any batch in flight. */
export interface SamplingState {
  readonly sampleRng: RngState;
  readonly prompts: PromptIteratorState;
}

/** What the schedule works with. */
export interface RolloutParts {
  readonly config: GrpoConfig;
  readonly policy: GptModel;
  readonly tokenizer: CharTokenizer;
  readonly rollout: InferencePolicy & { readonly stats?: RolloutStats };
  readonly reference: InferencePolicy | undefined;
  readonly prompts: PromptIterator;
  readonly sampleRng: Rng;
  /** v: the sampler takes the policy's weights every v updates (off-policy GRPO Alg. 1). */
  readonly refreshPeriod: number;
}

/**
 * When the sampler and the reference take the policy's weights, and where each step's batch comes
 * from: sampled at the start of the step, or, with `rollout.overlap`, sampled while the previous step
 * trained. α ← π_θ every v updates (arXiv 2505.22257 Alg. 1; v = 1 is on-policy GRPO); π_ref ← π_θ
 * every `reference.resetEvery` steps (DeepSeekMath Alg. 1's outer iterations).
 */
export class RolloutSchedule {
  private pending: { readonly batch: Promise<GeneratedBatch>; readonly before: SamplingState } | undefined;

  constructor(private readonly p: RolloutParts) {}

  /** Whether the sampler's weights can differ from the policy's (so checkpoints save them). */
  get samplerLags(): boolean {
    return this.p.refreshPeriod > 1 || this.p.config.rollout.overlap;
  }

  /** Syncs the sampler (unless overlapped: then it is synced when the next batch is launched) and the reference. */
  async beforeStep(step: number): Promise<void> {
    const { config, policy, rollout, reference, refreshPeriod } = this.p;
    if (!config.rollout.overlap && (step - 1) % refreshPeriod === 0)
      await rollout.setWeights(policy.getWeights());
    const resetEvery = config.reference.resetEvery;
    if (reference && resetEvery > 0 && step > 1 && (step - 1) % resetEvery === 0) {
      await reference.setWeights(policy.getWeights());
    }
  }

  /** This step's batch: the one sampled during the previous step's training, or a new one. */
  take(): Promise<GeneratedBatch> {
    const pending = this.pending;
    this.pending = undefined;
    return pending ? pending.batch : this.generate();
  }

  /**
   * With `rollout.overlap`, starts sampling step s + 1's batch from the policy as it is now (before this
   * step's update) while this step trains: α lags π_θ by one update. The sampling position before it
   * is kept, so a checkpoint taken meanwhile resumes by sampling it again from the same state.
   */
  async launchNext(step: number): Promise<boolean> {
    const { config, policy, rollout, refreshPeriod } = this.p;
    if (!config.rollout.overlap || step >= config.train.steps) return false;
    if (step % refreshPeriod === 0) await rollout.setWeights(policy.getWeights());
    const before = this.position();
    const batch = this.generate();
    batch.catch(() => {}); // awaited by the next step; a failure surfaces there
    this.pending = { batch, before };
    return true;
  }

  /** The sampling position to checkpoint: before the batch in flight, if any. */
  samplingState(): SamplingState {
    return this.pending?.before ?? this.position();
  }

  /** Waits for a batch in flight (its failure is the next step's, which will not come). */
  async settle(): Promise<void> {
    await this.pending?.batch.catch(() => {});
    this.pending = undefined;
  }

  private position(): SamplingState {
    return { sampleRng: this.p.sampleRng.getState(), prompts: this.p.prompts.getState() };
  }

  /** Draws the next prompts and samples G completions of each with the rollout policy. */
  private async generate(): Promise<GeneratedBatch> {
    const { config, policy, tokenizer } = this.p;
    const { groupSize: G, promptsPerStep, maxNewTokens, temperature, topK, topP } = config.rollout;
    const examples = this.p.prompts.nextBatch(promptsPerStep);
    if (examples.length < promptsPerStep) {
      throw new ConfigError("task", config.task, "the prompt split ran out of examples");
    }
    const promptTexts = examples.map((e) => promptText(config.prompt.template, e.question));
    const promptIds = promptTexts.map((t) => tokenizer.encode(t, { bos: true }));
    const C = policy.config.contextLength;
    promptIds.forEach((ids, i) => {
      if (ids.length + maxNewTokens > C) {
        throw new ConfigError(
          "rollout.maxNewTokens",
          maxNewTokens,
          `prompt ${JSON.stringify(promptTexts[i])} has ${ids.length} tokens; prompt + maxNewTokens must fit the model's contextLength ${C}`,
        );
      }
    });
    const groupIds = new Int32Array(promptsPerStep * G);
    const prompts: Int32Array[] = [];
    for (let p = 0; p < promptsPerStep; p++) {
      for (let g = 0; g < G; g++) {
        groupIds[p * G + g] = p;
        prompts.push(promptIds[p]);
      }
    }
    const t0 = performance.now();
    const generated = await this.p.rollout.generate({
      prompts,
      maxNewTokens,
      temperature,
      topK,
      topP,
      stopTokens: [tokenizer.eosId],
      rng: this.p.sampleRng,
    });
    const generateSeconds = (performance.now() - t0) / 1000;
    return {
      examples,
      promptTexts,
      prompts,
      groupIds,
      generated,
      generateSeconds,
      rolloutStats: this.p.rollout.stats,
    };
  }
}
