export {
  type ProgressMode,
  ProgressReporter,
  progressLine,
  resolveProgressMode,
} from "./cli/progress.js";
export { type CliIo, interruptedExitCode, runCli, usage } from "./cli/run-cli.js";
export {
  type ConfigIssue,
  ConfigValidationError,
  type LoadedConfig,
  loadConfig,
  parseConfig,
  resolveFrom,
} from "./config/load-config.js";
export { type GrpoConfig, type GrpoConfigInput, grpoConfigSchema } from "./config/schema.js";
export { type EvaluateOptions, evaluateGreedy } from "./evaluate.js";
export { type EvaluateCheckpointOptions, evaluateCheckpoint } from "./grpo/evaluate-checkpoint.js";
export { type AccumulatedStepResult, accumulatedStep } from "./grpo/grad-accumulation.js";
export {
  createReward,
  createRunContainer,
  createTask,
  evaluateGreedyAccuracy,
  type GreedyAccuracyOptions,
  type GrpoEvaluation,
  type GrpoRunResult,
  GrpoTrainer,
  type GrpoTrainerOptions,
  RewardError,
  type StepTiming,
  TrainingStepError,
} from "./grpo/grpo-trainer.js";
export {
  loadModelCheckpoint,
  type ModelBundle,
  type ModelMetadata,
  readModelMetadata,
  saveModelCheckpoint,
} from "./grpo/model-io.js";
export { OnnxRolloutEngine, type RolloutEngine, TfjsRolloutEngine } from "./grpo/rollout-engine.js";
export {
  checkpointPath,
  JsonlWriter,
  listCheckpointSteps,
  runFileNames,
  truncateJsonlAfter,
} from "./grpo/run-files.js";
export { ConsoleMetricsSink, MemoryMetricsSink } from "./metrics-sinks.js";
export { type OnPolicyDeps, type OnPolicyResult, OnPolicyTrainer } from "./on-policy-trainer.js";
export {
  type OnPolicyOptions,
  onPolicyDefaults,
  type ResolvedOnPolicyOptions,
  resolveOnPolicyOptions,
} from "./options.js";
