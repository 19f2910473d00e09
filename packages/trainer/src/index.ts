export { type EvaluateOptions, evaluateGreedy } from "./evaluate.js";
export { ConsoleMetricsSink, MemoryMetricsSink } from "./metrics-sinks.js";
export { type OnPolicyDeps, type OnPolicyResult, OnPolicyTrainer } from "./on-policy-trainer.js";
export {
  type OnPolicyOptions,
  onPolicyDefaults,
  type ResolvedOnPolicyOptions,
  resolveOnPolicyOptions,
} from "./options.js";
