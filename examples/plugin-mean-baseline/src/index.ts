import {
  type AdvantageEstimator,
  type AdvantageResult,
  assertFinite,
  assertLength,
  type Batch,
  ConfigError,
  getRegistry,
} from "@rlts/core";
import type { DependencyContainer } from "tsyringe";

/** Options of {@link MeanBaselineEstimator}. */
export interface MeanBaselineOptions {
  /** Multiplies every advantage. Default 1. */
  readonly scale?: number;
}

/** A = scale · (r − mean(r)) over the whole batch: REINFORCE with a constant batch-mean baseline. */
export class MeanBaselineEstimator implements AdvantageEstimator {
  readonly name = "mean-baseline";
  readonly requires = [] as const;
  private readonly scale: number;

  constructor(options: MeanBaselineOptions = {}) {
    this.scale = options.scale ?? 1;
    if (!Number.isFinite(this.scale))
      throw new ConfigError("advantage.scale", options.scale, "use a finite number");
  }

  estimate(batch: Batch): AdvantageResult {
    const n = batch.numSteps * batch.numEnvs;
    assertLength("rewards", batch.rewards, n, "rewards (numSteps × numEnvs)");
    assertFinite("rewards", batch.rewards);
    let mean = 0;
    for (const r of batch.rewards) mean += r / n;
    return { advantages: batch.rewards.map((r) => this.scale * (r - mean)) };
  }
}

/** Adds the `mean-baseline` advantage estimator to the container's registry. */
export function register(container: DependencyContainer): void {
  getRegistry(container).register(
    "advantage",
    "mean-baseline",
    (options) => new MeanBaselineEstimator({ scale: options.scale as number | undefined }),
    { description: "r − mean(r) over the batch" },
  );
}
