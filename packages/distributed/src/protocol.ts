import type { OnnxGpt } from "@rlts/backend-onnx";
import type { PluginSpec, RewardInput } from "@rlts/core";

/** The GPT shape workers open on onnxruntime (the `config` of backend-tfjs's `GptModel`). */
export type GptShape = Parameters<typeof OnnxGpt.create>[0];

/** The two queues: generation on onnxruntime, and grading with the run's reward plugins. */
export const queueNames = ["rollouts", "rewards"] as const;
/** A queue name: `rollouts` or `rewards`. */
export type QueueName = (typeof queueNames)[number];

/** What the learner publishes once per run; workers build their engine and reward from it. */
export interface RunSpec {
  readonly runId: string;
  /** The policy's GPT shape. */
  readonly model: GptShape;
  /** The config's `reward:` (one plugin spec, or a list combined by `composite`). */
  readonly reward: PluginSpec | readonly PluginSpec[];
  /** The config's `plugins:` packages, imported by name on reward workers. */
  readonly plugins: readonly string[];
  /** Where weights live: `redis`, or `file:///dir` (content-addressed files on a shared folder). */
  readonly weights: string;
}

/** One rollout job: `groupSize` completions of each prompt, sampled with `createRng(seed)`. */
export interface RolloutJobData {
  readonly runId: string;
  /** The weights version to sample with. */
  readonly version: number;
  readonly seed: number;
  /** Token ids of each distinct prompt. */
  readonly prompts: readonly (readonly number[])[];
  readonly groupSize: number;
  readonly maxNewTokens: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly stopTokens: readonly number[];
}

/** A rollout job's result, prompt-major (`groupSize` completions of prompt 0, then prompt 1, …). */
export interface RolloutJobResult {
  /** The weights version the worker sampled with. */
  readonly version: number;
  /** `host:pid` of the worker that ran it. */
  readonly worker: string;
  readonly completions: readonly (readonly number[])[];
  readonly logprobs: readonly (readonly number[])[];
  readonly stopped: readonly boolean[];
}

/** One reward job: one prompt's group of completions. */
export interface RewardJobData {
  readonly runId: string;
  readonly inputs: readonly RewardInput[];
}

/** A reward job's result: the total per completion and each component's scores (`null` abstains). */
export interface RewardJobResult {
  readonly worker: string;
  readonly total: readonly (number | null)[];
  readonly components: Readonly<Record<string, readonly (number | null)[]>>;
}

/** Redis keys of a run, under the deployment's prefix. */
export const runKeys = (prefix: string, runId: string) => ({
  spec: `${prefix}:run:${runId}:spec`,
  weights: (version: number) => `${prefix}:run:${runId}:w:${version}`,
});

/** How long a run's spec and weights stay in Redis after their last write (seconds). */
export const runKeyTtlSeconds = 7 * 24 * 3600;
