export { register } from "./register.js";
export {
  computeReinforcePlusPlus,
  type EpsilonPlacement,
  ReinforcePlusPlusEstimator,
  type ReinforcePlusPlusOptions,
  type ReinforcePlusPlusResult,
  reinforcePlusPlusDefaults,
  resolveReinforcePlusPlusOptions,
  type SingletonBaseline,
  type StdKind,
} from "./reinforce-pp.js";
