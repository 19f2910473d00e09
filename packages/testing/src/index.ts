export {
  type ConformanceEnv,
  type ConformanceSpace,
  describeEnv,
  type EnvConformanceCheck,
  type EnvConformanceOptions,
  envConformanceChecks,
} from "./describe-env.js";
export { describeEstimator, type EstimatorConformanceOptions } from "./describe-estimator.js";
