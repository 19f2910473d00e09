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
export { type EvaluateOptions, evaluateGreedy, type GreedyActor } from "./evaluate.js";
export {
  type BuildRunOptions,
  buildGrpoRun,
  createReward,
  createRunContainer,
  createTask,
  type GrpoRun,
} from "./grpo/build-run.js";
export { type EvaluateCheckpointOptions, evaluateCheckpoint } from "./grpo/evaluate-checkpoint.js";
export {
  componentScores,
  evaluateGreedyAccuracy,
  type GreedyAccuracyOptions,
  type GrpoEvaluation,
} from "./grpo/evaluation.js";
export { type AccumulatedStepResult, accumulatedStep } from "./grpo/grad-accumulation.js";
export {
  type GrpoRunResult,
  GrpoTrainer,
  type GrpoTrainerOptions,
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
export { type BatchRewards, RewardError, scoreBatch } from "./grpo/rewards.js";
export {
  checkpointPath,
  JsonlWriter,
  listCheckpointSteps,
  RunFiles,
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
export {
  MetricMeans,
  runUpdatePhase,
  type StepReport,
  type UpdatePhaseOptions,
  type UpdatePhaseResult,
} from "./update/update-phase.js";
