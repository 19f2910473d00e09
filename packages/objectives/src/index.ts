import { getRegistry, type PluginOptions } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { GrpoObjective, type GrpoOptions } from "./grpo.js";
import { GrpoOffPolicyObjective, type GrpoOffPolicyOptions } from "./grpo-offpolicy.js";
import { PpoObjective, type PpoOptions } from "./ppo.js";
import { ReinforceObjective, type ReinforceOptions } from "./reinforce.js";
import { TrpoObjective, type TrpoOptions } from "./trpo.js";

export {
  type AdvantageNormalization,
  advantageNormalizations,
  normalizeAdvantages,
} from "./advantage-norm.js";
export {
  type ConjugateGradientOptions,
  type ConjugateGradientVariant,
  conjugateGradient,
  type MatrixVectorProduct,
} from "./conjugate-gradient.js";
export {
  type GrpoLossInputs,
  type GrpoLossType,
  GrpoObjective,
  type GrpoOptions,
  grpoDefaults,
  grpoLoss,
  grpoLossTypes,
  type ResolvedGrpoOptions,
  resolveGrpoOptions,
} from "./grpo.js";
export {
  type GrpoOffPolicyLossInputs,
  GrpoOffPolicyObjective,
  type GrpoOffPolicyOptions,
  grpoOffPolicyDefaults,
  grpoOffPolicyLoss,
  type ResolvedGrpoOffPolicyOptions,
  resolveGrpoOffPolicyOptions,
} from "./grpo-offpolicy.js";
export { type KlEstimator, klEstimate, klEstimators } from "./kl.js";
export {
  PpoObjective,
  type PpoOptions,
  ppoDefaults,
  ppoLoss,
  type ResolvedPpoOptions,
  resolvePpoOptions,
} from "./ppo.js";
export {
  ReinforceObjective,
  type ReinforceOptions,
  type ResolvedReinforceOptions,
  reinforceDefaults,
  reinforceLoss,
  resolveReinforceOptions,
} from "./reinforce.js";
export { type TargetKlConvention, TargetKlEarlyStop, type TargetKlOptions } from "./target-kl.js";
export { stopGradient, type Tensor } from "./tensor-ops.js";
export {
  type ResolvedTrpoOptions,
  resolveTrpoOptions,
  type TrpoConvention,
  TrpoObjective,
  type TrpoOptions,
  trpoDefaults,
  trpoStep,
  trpoSurrogateLoss,
} from "./trpo.js";
export {
  explainedVariance,
  type ValueLossConvention,
  type ValueLossOptions,
  valueLoss,
  valueLossConventions,
} from "./value-loss.js";

/**
 * Adds the objectives `reinforce`, `ppo`, `trpo`, `grpo` and `grpo-offpolicy` to the container's
 * registry. Options are validated when a plugin is built; errors name `objective.<option>`.
 */
export function register(container: DependencyContainer): void {
  const registry = getRegistry(container);
  registry.register(
    "objective",
    "reinforce",
    (options: PluginOptions) => new ReinforceObjective(options as ReinforceOptions),
    {
      description: "REINFORCE / vanilla policy gradient, optionally with a learned value baseline",
    },
  );
  registry.register("objective", "ppo", (options: PluginOptions) => new PpoObjective(options as PpoOptions), {
    description: "PPO clipped surrogate with value clipping, entropy bonus and target-KL early stop",
  });
  registry.register(
    "objective",
    "trpo",
    (options: PluginOptions) => new TrpoObjective(options as TrpoOptions),
    {
      description: "TRPO: conjugate gradient on Fisher-vector products and a KL-constrained line search",
    },
  );
  registry.register(
    "objective",
    "grpo",
    (options: PluginOptions) => new GrpoObjective(options as GrpoOptions),
    {
      description: "GRPO with TRL loss types (grpo, bnpo, dr_grpo, dapo), KL to a reference, GSPO",
    },
  );
  registry.register(
    "objective",
    "grpo-offpolicy",
    (options: PluginOptions) => new GrpoOffPolicyObjective(options as GrpoOffPolicyOptions),
    { description: "Off-policy GRPO (arXiv 2505.22257) with a sampler refresh period v" },
  );
}
