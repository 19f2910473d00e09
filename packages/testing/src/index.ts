export { describeEstimator, type EstimatorConformanceOptions } from "./describe-estimator.js";
