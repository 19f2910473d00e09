import { assertInRange } from "@rlts/core";
import type { Env, StepResult } from "./env.js";
import { RunningMeanStd } from "./running-mean-std.js";
import { Wrapper } from "./wrapper.js";

/** Options of {@link NormalizeReward}. */
export interface NormalizeRewardOptions {
  /** Discount of the running return whose variance scales the rewards. Default 0.99 (Gymnasium). */
  readonly gamma?: number;
  /** Added to the variance before the square root. Default 1e-8 (Gymnasium). */
  readonly epsilon?: number;
}

const defaults = { gamma: 0.99, epsilon: 1e-8 } as const satisfies Required<NormalizeRewardOptions>;

/**
 * Scales rewards so that the discounted return has roughly unit variance (Gymnasium's
 * `NormalizeReward`, ≥ 0.27): keeps `G ← γ·G·(1 − terminated) + r`, updates running statistics of `G`
 * and returns `r / sqrt(var(G) + epsilon)` (no mean subtraction, as in baselines). Set
 * `updateRunningMean = false` to freeze the statistics for evaluation.
 */
export class NormalizeReward<Obs, Act> extends Wrapper<Obs, Act> {
  readonly rms = new RunningMeanStd(1);
  /** Whether rewards still update the statistics. */
  updateRunningMean = true;
  private readonly gamma: number;
  private readonly epsilon: number;
  private discountedReward = 0;
  private readonly scratch = new Float64Array(1);

  constructor(env: Env<Obs, Act>, options: NormalizeRewardOptions = {}) {
    super(env);
    this.gamma = options.gamma ?? defaults.gamma;
    this.epsilon = options.epsilon ?? defaults.epsilon;
    assertInRange("normalizeReward.gamma", this.gamma, 0, 1);
    assertInRange("normalizeReward.epsilon", this.epsilon, 0, 1);
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    // Gymnasium stateful_reward.py: G ← γ·G·(1 − terminated) + r (not reset on truncation).
    this.discountedReward = this.discountedReward * this.gamma * (result.terminated ? 0 : 1) + result.reward;
    if (this.updateRunningMean) {
      this.scratch[0] = this.discountedReward;
      this.rms.update(this.scratch);
    }
    return { ...result, reward: result.reward / Math.sqrt(this.rms.var[0] + this.epsilon) };
  }
}
