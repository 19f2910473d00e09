import { getRegistry } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { ReinforcePlusPlusEstimator } from "./reinforce-pp.js";

/**
 * Adds the `reinforce++` advantage estimator to the container's registry. Called by `loadPlugins`
 * when a config lists this package under `plugins`; importing the package registers nothing.
 */
export function register(container: DependencyContainer): void {
  getRegistry(container).register(
    "advantage",
    "reinforce++",
    (options) => new ReinforcePlusPlusEstimator(options),
    {
      description: "REINFORCE++-baseline: r − mean of its prompt's rewards, then whitened over the batch",
    },
  );
}
