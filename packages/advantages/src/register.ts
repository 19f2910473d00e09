import { getRegistry } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { GaeEstimator } from "./gae.js";
import { GroupEstimator } from "./group.js";
import { ProcessGroupEstimator } from "./group-process.js";
import { HybridEstimator } from "./hybrid.js";
import { ReturnsEstimator } from "./returns.js";
import { RlooEstimator } from "./rloo.js";

/**
 * Adds the advantage estimators `returns`, `gae`, `group`, `group-process`, `rloo` and `hybrid` to the
 * container's registry. Each factory validates its options and throws `ConfigError` naming the field.
 */
export function register(container: DependencyContainer): void {
  getRegistry(container)
    .register("advantage", "returns", (options) => new ReturnsEstimator(options), {
      description: "discounted returns-to-go G_t, optional baseline G − V and normalisation",
    })
    .register("advantage", "gae", (options) => new GaeEstimator(options), {
      description: "GAE(γ, λ) with SB3 truncation bootstrap; value targets R = A + V",
    })
    .register("advantage", "group", (options) => new GroupEstimator(options), {
      description: "GRPO group advantages: z-score (TRL), batch std, or mean-centred (Dr. GRPO)",
    })
    .register("advantage", "group-process", (options) => new ProcessGroupEstimator(options), {
      description: "DeepSeekMath process supervision: per-token sums of jointly normalised step rewards",
    })
    .register("advantage", "rloo", (options) => new RlooEstimator(options), {
      description: "REINFORCE leave-one-out baseline within each group",
    })
    .register("advantage", "hybrid", (options) => new HybridEstimator(options), {
      description:
        "Hybrid GRPO: mean tanh-normalised rewards of sampled actions + γV(s') − V(s) (experimental)",
    });
}
