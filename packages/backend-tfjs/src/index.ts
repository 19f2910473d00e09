// Engine-independent pieces that moved to @rlts/lm, re-exported so imports from this package keep working.
export {
  type ActionHead,
  CharTokenizer,
  type CharTokenizerJson,
  type CharTokenizerOptions,
  checkSamplingOptions,
  checkScoreTemperature,
  type GptConfig,
  logSoftmax64,
  type SampledActions,
  type SamplingOptions,
  sampleActions,
  sampleFromLogits,
  samplingDistribution,
  specialTokens,
  temperatureScaled,
} from "@rlts/lm";
export { AdamW, type AdamWOptions, type AdamWState, adamWDefaults } from "./adamw.js";
export { ArrayAdamW, type ArrayParameter } from "./array-adamw.js";
export {
  CHECKPOINT_MAGIC,
  type CheckpointManifest,
  type CheckpointTensorEntry,
  type LoadedCheckpoint,
  loadCheckpoint,
  readCheckpointManifest,
  type SaveCheckpointOptions,
  saveCheckpoint,
} from "./checkpoint.js";
export {
  type EnginePreference,
  type SelectEngineOptions,
  selectEngine,
  selectEngineDefaults,
  TfjsEngine,
  timeMs,
} from "./engine.js";
export { GptModel, type GptOptions, gptDefaults, type SequenceLogProbs } from "./gpt.js";
export { registerGradients } from "./gradients.js";
export { normalInit, orthogonalInit } from "./init.js";
export {
  type ActionBatch,
  type ActResult,
  type DistributionSnapshot,
  type EvaluateResult,
  MlpPolicy,
  type MlpPolicyOptions,
  mlpPolicyDefaults,
  type ObservationBatch,
} from "./mlp-policy.js";
export {
  batchMatmul,
  columnSum,
  gatherRows,
  gelu,
  layerNorm,
  linear,
  logSoftmax,
  matmulNoBias,
  pickLogProbs,
  softmax,
  softmaxEntropy,
  transpose2d,
} from "./ops.js";
export { ParameterSet } from "./parameters.js";
export { register } from "./register.js";
export {
  type LrDecay,
  type LrScheduleOptions,
  learningRateAt,
  lrScheduleDefaults,
  resolveSchedule,
} from "./schedule.js";
export { type LossFn, TrainableModel } from "./trainable.js";
