export { type SampledActions, sampleActions } from "./action-sampling.js";
export { AdamW, type AdamWOptions, type AdamWState, adamWDefaults } from "./adamw.js";
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
export { type GptConfig, GptModel, type GptOptions, gptDefaults, type SequenceLogProbs } from "./gpt.js";
export { registerGradients } from "./gradients.js";
export { normalInit, orthogonalInit } from "./init.js";
export {
  type ActionBatch,
  type ActionHead,
  type ActResult,
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
  checkSamplingOptions,
  checkScoreTemperature,
  logSoftmax64,
  type SamplingOptions,
  sampleFromLogits,
  samplingDistribution,
  temperatureScaled,
} from "./sampling.js";
export {
  type LrDecay,
  type LrScheduleOptions,
  learningRateAt,
  lrScheduleDefaults,
  resolveSchedule,
} from "./schedule.js";
export {
  CharTokenizer,
  type CharTokenizerJson,
  type CharTokenizerOptions,
  specialTokens,
} from "./tokenizer.js";
export { type LossFn, TrainableModel } from "./trainable.js";
