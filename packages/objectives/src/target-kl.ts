import { assertOneOf, ConfigError } from "@rlts/core";

/** Where the target-KL check happens: as CleanRL ppo.py or as SB3 ppo.py. */
export type TargetKlConvention = "cleanrl" | "sb3";

/** Options of {@link TargetKlEarlyStop}. */
export interface TargetKlOptions {
  /** The KL budget per update phase. Required, > 0. */
  readonly targetKl: number;
  /**
   * `cleanrl` (default): after each epoch, stop when the last minibatch's approx KL > targetKl.
   * `sb3`: before each optimiser step, skip the step and stop when approx KL > 1.5·targetKl.
   */
  readonly convention?: TargetKlConvention;
  /** The metric holding the approx-KL estimate. Default `approx_kl` (k3, as both libraries use). */
  readonly metric?: string;
}

/**
 * PPO's target-KL early stop in both published conventions: CleanRL checks after each
 * epoch, SB3 checks every minibatch before its optimiser step against 1.5× the target. The trainer
 * calls {@link stopBeforeStep} before every step and {@link stopAfterEpoch} after every epoch; each is
 * always `false` under the other convention.
 */
export class TargetKlEarlyStop {
  readonly targetKl: number;
  readonly convention: TargetKlConvention;
  readonly metric: string;

  constructor(options: TargetKlOptions, field = "objective") {
    if (typeof options.targetKl !== "number" || !Number.isFinite(options.targetKl) || options.targetKl <= 0) {
      throw new ConfigError(
        `${field}.targetKl`,
        options.targetKl,
        "use a number > 0, e.g. 0.015, or leave it unset to never stop early",
      );
    }
    const convention = options.convention ?? "cleanrl";
    assertOneOf(`${field}.targetKlConvention`, convention, ["cleanrl", "sb3"] as const);
    this.targetKl = options.targetKl;
    this.convention = convention;
    this.metric = options.metric ?? "approx_kl";
  }

  /** SB3: `true` when this minibatch's approx KL > 1.5·target_kl; its step must then be skipped. */
  stopBeforeStep(metrics: Readonly<Record<string, number>>): boolean {
    // SB3 ppo.py: if approx_kl_div > 1.5 * target_kl: continue_training = False; break
    return this.convention === "sb3" && this.read(metrics) > 1.5 * this.targetKl;
  }

  /** CleanRL: `true` when the last minibatch's approx KL of the epoch > target_kl. */
  stopAfterEpoch(metrics: Readonly<Record<string, number>>): boolean {
    // CleanRL ppo.py: if approx_kl > target_kl: break (after the epoch's minibatches)
    return this.convention === "cleanrl" && this.read(metrics) > this.targetKl;
  }

  private read(metrics: Readonly<Record<string, number>>): number {
    const value = metrics[this.metric];
    if (typeof value !== "number") {
      throw new ConfigError(
        "metrics",
        Object.keys(metrics),
        `the early stop needs the metric ${this.metric}`,
      );
    }
    return value;
  }
}
