export type { AdvantageResult } from "./contracts/advantage.js";
export { AdvantageEstimator } from "./contracts/advantage.js";
export type {
  ActionSampleRewards,
  Batch,
  BatchField,
  ProcessRewards,
  Trajectory,
} from "./contracts/batch.js";
export type {
  Disposable,
  GenerateRequest,
  GenerateResult,
  NamedTensor,
  ScoreRequest,
  ScoreResult,
  TrainStepResult,
  WeightReceiver,
  Weights,
} from "./contracts/engine.js";
export {
  Engine,
  type InferenceEngine,
  type InferencePolicy,
  isInferenceEngine,
  type LanguageModelSpec,
  SequenceSampler,
  SequenceScorer,
  type TrainablePolicy,
} from "./contracts/engine.js";
export type { Metrics } from "./contracts/metrics.js";
export { Callback, MetricsSink } from "./contracts/metrics.js";
export type {
  LossInputs,
  LossOutput,
  LossTokenCount,
  TrustRegionProblem,
  TrustRegionStepResult,
} from "./contracts/objective.js";
export { Objective } from "./contracts/objective.js";
export type { RewardCallOptions, RewardInput, RewardScores } from "./contracts/reward.js";
export { RewardFunction } from "./contracts/reward.js";
export {
  ConfigError,
  DuplicatePluginError,
  describeValue,
  NonFiniteError,
  PluginLoadError,
  PluginNotFoundError,
  RltsError,
  ShapeError,
  StateError,
} from "./errors.js";
export {
  createContainer,
  createPlugin,
  getRegistry,
  type LoadPluginsOptions,
  loadPlugins,
  type PluginContext,
  type PluginFactory,
  type PluginInfo,
  type PluginKind,
  type PluginModule,
  type PluginOptions,
  PluginRegistry,
  PluginRegistryToken,
  type PluginSpec,
  type PluginTypes,
  pluginKinds,
} from "./registry.js";
export {
  createRng,
  permutation,
  Rng,
  type RngState,
  rngFromState,
  type Shuffleable,
  shuffleInPlace,
} from "./rng.js";
export { mean, standardDeviation } from "./stats.js";
export {
  bind,
  bindFactory,
  bindValue,
  type Constructor,
  isBound,
  resolve,
  type Token,
  type TokenType,
  token,
} from "./token.js";
export { assertFinite, assertInRange, assertInteger, assertLength, assertOneOf } from "./validate.js";
