// The model descriptions these take live in @rlts/lm (shared with backend-tfjs), re-exported here.
export {
  type FullGptConfig,
  type GptConfig,
  type MlpArchitecture,
  type MlpPolicyLike,
  resolveGptConfig,
} from "@rlts/lm";
export { OnnxEngine, type OnnxEngineOptions, onnxEngineDefaults } from "./engine.js";
export {
  checkWeights,
  exportGpt,
  GPT_CONFIG_KEY,
  GPT_KV_CACHE_KEY,
  type GptExportOptions,
  gptExportDefaults,
  gptWeightShapes,
} from "./gpt-export.js";
export {
  checkMlpArchitecture,
  exportMlpPolicy,
  MLP_CONFIG_KEY,
  mlpArchitecture,
  mlpWeightShapes,
} from "./mlp-export.js";
export {
  exportMlpBackward,
  exportMlpTrainForward,
  gradientName,
  type MlpTrainForwardNames,
  mlpTrainForwardNames,
} from "./mlp-train-graph.js";
export {
  decodeOnnxModel,
  extractStoredWeights,
  type OnnxModelFile,
  OnnxModelFileError,
  type OpsetRange,
  opsetRangeDefaults,
  readOnnxModelFile,
} from "./model-file.js";
export { type GptModelFiles, OnnxGpt, type OnnxGptOptions } from "./onnx-gpt.js";
export { GraphBuilder, ONNX_IR_VERSION, ONNX_OPSET } from "./onnx-graph.js";
export { type MlpForward, type OnnxActResult, OnnxMlpPolicy } from "./onnx-mlp-policy.js";
export {
  OnnxRewardModel,
  type OnnxRewardModelOptions,
  onnxRewardModelDefaults,
  type TokenizeFn,
} from "./onnx-reward-model.js";
export { type MlpParameter, OnnxTrainableMlp } from "./onnx-trainable-mlp.js";
export { register } from "./register.js";
export { type SessionOptions, sessionDefaults } from "./session.js";
