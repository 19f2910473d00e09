import { z } from "zod";

/** A plugin as a config names it: a bare name, or `{ name, ...options }`. */
const pluginSpec = z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]);

const int = (min: number) => z.int().min(min);

/** The tfjs model when no base checkpoint is given: a randomly initialised GPT. */
const gptSchema = z.strictObject({
  contextLength: int(2),
  dModel: int(1),
  nLayers: int(0),
  nHeads: int(1),
  dFF: int(1).optional(),
  tieEmbeddings: z.boolean().optional(),
  initStd: z.number().positive().optional(),
});

/** The character tokenizer of a randomly initialised model. */
const tokenizerSchema = z.strictObject({
  /** Every character the model may read or write. */
  text: z.string().min(1),
  /** Multi-character tokens such as `<think>` and `<answer>`. */
  multiCharTokens: z.array(z.string().min(2)).prefault([]),
});

const modelSchema = z
  .strictObject({
    /** A base checkpoint written by `saveModelCheckpoint` (weights, GPT shape and tokenizer). */
    checkpoint: z.string().min(1).optional(),
    gpt: gptSchema.optional(),
    tokenizer: tokenizerSchema.optional(),
  })
  .refine((m) => (m.checkpoint === undefined) !== (m.gpt === undefined && m.tokenizer === undefined), {
    message: "give either checkpoint (a base model) or gpt and tokenizer (a random model), not both",
  })
  .refine((m) => m.checkpoint !== undefined || (m.gpt !== undefined && m.tokenizer !== undefined), {
    message: "a random model needs both gpt and tokenizer",
  });

const optimizerSchema = z.strictObject({
  lr: z.number().positive().prefault(1e-4),
  warmupSteps: int(0).prefault(0),
  decay: z.enum(["constant", "linear", "cosine"]).prefault("constant"),
  totalSteps: int(0).optional(),
  minLrRatio: z.number().min(0).max(1).optional(),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  epsilon: z.number().positive().optional(),
  weightDecay: z.number().min(0).prefault(0),
  maxGradNorm: z.number().min(0).prefault(1),
});

const rolloutSchema = z.strictObject({
  /**
   * The engine plugin that samples completions and scores the reference, by name (an `engine` plugin
   * that builds inference policies): `onnx` (onnxruntime with a KV cache, the default), `tfjs` (a copy
   * of the policy: the fallback where onnxruntime-node cannot load), or a third-party one, with options
   * as `{ name, ...options }`.
   */
  engine: pluginSpec.prefault("onnx"),
  /** Prompts per step. */
  promptsPerStep: int(1).prefault(8),
  /** G: completions per prompt. */
  groupSize: int(2).prefault(8),
  maxNewTokens: int(1).prefault(32),
  temperature: z.number().min(0).prefault(1),
  topK: int(0).prefault(0),
  topP: z.number().gt(0).max(1).prefault(1),
  /**
   * Sample batch k+1 while training on batch k (off-policy: α lags π_θ by one update; use the
   * grpo-offpolicy objective, whose ratio is against α).
   */
  overlap: z.boolean().prefault(false),
});

const trainSchema = z.strictObject({
  /** Trainer steps (one generation batch each). */
  steps: int(1),
  /** μ: passes over each generation batch (GRPO's inner iterations). */
  iterations: int(1).prefault(1),
  /** Completions per optimiser step; default the whole generation batch. */
  minibatchSize: int(1).optional(),
  /** Completions per forward/backward pass; gradients are accumulated over them. Default minibatchSize. */
  microBatchSize: int(1).optional(),
  /** The reward component whose mean is logged as `accuracy`. */
  accuracyReward: z.string().min(1).prefault("math-correctness"),
  /**
   * Temperature T of every training-side log-prob (policy, π_old, reference, entropy): log softmax(z/T).
   * `sampling` (default, as TRL) uses `rollout.temperature` (1 when that is 0, greedy).
   */
  logprobTemperature: z.union([z.literal("sampling"), z.number().positive()]).prefault("sampling"),
});

const referenceSchema = z.strictObject({
  /** Score completions under a frozen reference policy (the KL metric, and the penalty when β > 0). */
  enabled: z.boolean().prefault(true),
  /** Copy the policy into the reference every this many steps (0: never; the reference stays the base model). */
  resetEvery: int(0).prefault(0),
});

const promptSchema = z.strictObject({
  /** Prompt text; `{question}` is replaced by the example's question. */
  template: z.string().min(1).prefault("{question}"),
  split: z.enum(["train", "test"]).prefault("train"),
  shuffle: z.boolean().prefault(true),
});

const loggingSchema = z.strictObject({
  /** Sample completions written to samples.jsonl per step. */
  samplesPerStep: int(0).prefault(2),
  /** Write a checkpoint every this many steps (0: only at the end and on interrupt). */
  checkpointEvery: int(0).prefault(50),
  /** Checkpoints kept in the run folder (older ones are deleted). */
  keepCheckpoints: int(1).prefault(3),
  /** `auto`: a progress bar on a terminal, plain lines otherwise (CI). */
  progress: z.enum(["auto", "bar", "lines", "none"]).prefault("auto"),
  /** Write the HTML report at the end of the run (needs @rlts/report). */
  report: z.boolean().prefault(true),
});

const distributedSchema = z.strictObject({
  /** Redis URL of the queues (`redis://host:6379`, `rediss://` for TLS); needs `@rlts/distributed`. */
  redis: z.string().regex(/^rediss?:\/\//, "use a Redis URL such as redis://127.0.0.1:6379"),
  /** Where weight versions are published: `redis`, or `file:///dir` on a folder every machine shares. */
  weights: z
    .union([z.literal("redis"), z.string().regex(/^file:\/\//, 'use "redis" or a file:///dir URL')])
    .prefault("redis"),
  /**
   * Weight versions a rollout result may lag the newest and still be used. Only the grpo-offpolicy
   * objective accepts stale samples (it importance-corrects against their own log α); others need 0.
   */
  maxStaleness: int(0).prefault(0),
  /** Tries per job before it is dead-lettered. */
  attempts: int(1).prefault(3),
  /** Distinct prompts per rollout job (each sampled groupSize times). */
  promptsPerJob: int(1).prefault(1),
  /** Score rewards on reward workers (`false`: on the learner, as without `distributed`). */
  rewards: z.boolean().prefault(true),
  /** Key prefix of the queues and run data; `rlts worker --prefix` must match. */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, _ . - only")
    .prefault("rlts"),
});

/**
 * The GRPO trainer's configuration, as written in one YAML file. Field docs are in the trainer README
 * ("Configuration"); every field but `task`, `model`, `reward` and `train.steps` has a default.
 */
export const grpoConfigSchema = z.strictObject({
  /** A name for the run, shown in the report. */
  name: z.string().min(1).prefault("grpo"),
  /** Seed of everything random: model init, prompt order, sampling, minibatch order. */
  seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).prefault(0),
  /** Third-party plugin packages, imported by name; each exports register(container). */
  plugins: z.array(z.string().min(1)).prefault([]),
  /** Run folder (relative to the config file): metrics.jsonl, samples.jsonl, checkpoints/, report/. */
  runDir: z.string().min(1).prefault("runs/grpo"),
  /** tfjs backend preference. */
  engine: z
    .strictObject({ prefer: z.enum(["auto", "tfjs-node-gpu", "tfjs-node", "wasm", "cpu"]).prefault("auto") })
    .prefault({}),
  /** The prompt task (an `env` plugin that builds a PromptTask), e.g. `synthetic-arithmetic`. */
  task: pluginSpec,
  prompt: promptSchema.prefault({}),
  model: modelSchema,
  optimizer: optimizerSchema.prefault({}),
  rollout: rolloutSchema.prefault({}),
  /** One reward plugin, or a list of them (combined by `composite` with each component logged). */
  reward: z.union([pluginSpec, z.array(pluginSpec).min(1)]),
  /** The advantage estimator; default: the one the objective is defined with, else `group`. */
  advantage: pluginSpec.optional(),
  objective: pluginSpec.prefault("grpo"),
  train: trainSchema,
  reference: referenceSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  /** Rollouts and rewards on worker processes through BullMQ and Redis (`rlts worker`); absent: in-process. */
  distributed: distributedSchema.optional(),
});

/** A validated configuration with every default filled in. */
export type GrpoConfig = z.output<typeof grpoConfigSchema>;
/** A configuration as written (defaults optional). */
export type GrpoConfigInput = z.input<typeof grpoConfigSchema>;
