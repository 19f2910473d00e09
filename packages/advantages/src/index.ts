export { type TruncationMode, truncationModes } from "./episode-ends.js";
export {
  computeGae,
  GaeEstimator,
  type GaeInput,
  type GaeOptions,
  type GaeResult,
  gaeDefaults,
} from "./gae.js";
export {
  computeGroupAdvantages,
  type EpsilonPlacement,
  type GroupAdvantageOptions,
  GroupEstimator,
  type GroupEstimatorOptions,
  type GroupScale,
  groupDefaults,
} from "./group.js";
export {
  computeProcessAdvantages,
  type ProcessAdvantageOptions,
  type ProcessAdvantageResult,
  ProcessGroupEstimator,
  processDefaults,
} from "./group-process.js";
export {
  computeHybridAdvantages,
  HybridEstimator,
  type HybridInput,
  type HybridNormalizeOver,
  type HybridOptions,
  type HybridResult,
  type HybridTransform,
  type HybridVariant,
  hybridDefaults,
} from "./hybrid.js";
export { type StdKind, stdKinds } from "./options.js";
export { register } from "./register.js";
export {
  computeReturns,
  ReturnsEstimator,
  type ReturnsInput,
  type ReturnsOptions,
  type ReturnsResult,
  returnsDefaults,
} from "./returns.js";
export { computeRlooAdvantages, RlooEstimator, type RlooOptions, rlooDefaults } from "./rloo.js";
