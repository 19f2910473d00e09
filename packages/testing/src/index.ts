export {
  type ConformanceLanguageModel,
  type DifferentiableCase,
  describeEngine,
  type EngineConformanceOptions,
} from "./describe-engine.js";
export {
  type ConformanceEnv,
  type ConformanceSpace,
  describeEnv,
  type EnvConformanceCheck,
  type EnvConformanceOptions,
  envConformanceChecks,
} from "./describe-env.js";
export { describeEstimator, type EstimatorConformanceOptions } from "./describe-estimator.js";
