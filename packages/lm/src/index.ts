export { type SampledActions, sampleActions } from "./action-sampling.js";
export {
  type CheckedGenerateRequest,
  checkGenerateRequest,
  type DecodeSteps,
  generateCompletions,
  type LogitRows,
} from "./generate.js";
export { type FullGptConfig, type GptConfig, resolveGptConfig } from "./gpt-config.js";
export {
  type ActionHead,
  type DifferentiableMlp,
  isMlpTrainingEngine,
  type MlpActions,
  type MlpArchitecture,
  type MlpEvaluation,
  type MlpEvaluationGradients,
  type MlpOutputs,
  type MlpPolicyLike,
  type MlpTrainingEngine,
} from "./mlp-policy.js";
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
  CharTokenizer,
  type CharTokenizerJson,
  type CharTokenizerOptions,
  specialTokens,
} from "./tokenizer.js";
