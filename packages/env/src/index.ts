export { AcrobotEnv, type AcrobotOptions, wrapAngle } from "./acrobot.js";
export {
  type ArithmeticOperator,
  type ArithmeticProblem,
  type ArithmeticTaskOptions,
  createArithmeticTask,
  evaluateArithmetic,
} from "./arithmetic-task.js";
export { BaseEnv } from "./base-env.js";
export { Box, type BoxDtype } from "./box.js";
export { CartPoleEnv, type CartPoleOptions, cartPoleStep } from "./cartpole.js";
export { CartPoleVecEnv, type CartPoleVecEnvOptions } from "./cartpole-vec-env.js";
export { ClipAction } from "./clip-action.js";
export { Discrete } from "./discrete.js";
export {
  type Env,
  type EnvSpec,
  emptyInfo,
  type Info,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from "./env.js";
export { DatasetFormatError, InvalidActionError } from "./errors.js";
export {
  type FileLocation,
  JsonlPromptTask,
  type JsonlTaskOptions,
  loadJsonlTask,
  parseGsm8kAnswer,
  parseJsonlExamples,
  type SkippedLine,
} from "./jsonl-task.js";
export {
  buildEnv,
  classicControlIds,
  isEnv,
  type MakeEnvOptions,
  makeEnv,
  makeVecEnv,
  registerClassicControl,
} from "./make-env.js";
export { MountainCarEnv, type MountainCarOptions } from "./mountain-car.js";
export { MultiDiscrete } from "./multi-discrete.js";
export { NormalizeObservation, type NormalizeObservationOptions } from "./normalize-observation.js";
export { NormalizeReward, type NormalizeRewardOptions } from "./normalize-reward.js";
export { angleNormalize, PendulumEnv, type PendulumOptions } from "./pendulum.js";
export {
  InMemoryPromptTask,
  isPromptTask,
  type PromptExample,
  type PromptIterateOptions,
  PromptIterator,
  type PromptIteratorState,
  type PromptSplit,
  type PromptTask,
  promptSplits,
} from "./prompt-task.js";
export { type EpisodeStatistics, RecordEpisodeStatistics } from "./record-episode-statistics.js";
export { register } from "./register.js";
export { RunningMeanStd } from "./running-mean-std.js";
export { seededRng } from "./seeding.js";
export { flattenInto, type Space } from "./space.js";
export { TimeLimit } from "./time-limit.js";
export {
  type ObsBuffer,
  SyncVecEnv,
  type VecEnv,
  type VecInfo,
  type VecResetResult,
  type VecStepResult,
} from "./vec-env.js";
export { Wrapper } from "./wrapper.js";
