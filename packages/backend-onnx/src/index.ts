export { OnnxEngine, type OnnxEngineOptions, onnxEngineDefaults } from "./engine.js";
export {
  checkWeights,
  exportGpt,
  type FullGptConfig,
  GPT_CONFIG_KEY,
  GPT_KV_CACHE_KEY,
  type GptExportOptions,
  gptExportDefaults,
  gptWeightShapes,
  resolveGptConfig,
} from "./gpt-export.js";
export {
  checkMlpArchitecture,
  exportMlpPolicy,
  MLP_CONFIG_KEY,
  type MlpArchitecture,
  mlpArchitecture,
  mlpWeightShapes,
} from "./mlp-export.js";
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
export { register } from "./register.js";
export { type SessionOptions, sessionDefaults } from "./session.js";
