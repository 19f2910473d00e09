import { assertInRange } from "@rlts/core";
import { Box } from "./box.js";
import type { Env, ResetOptions, ResetResult, StepResult } from "./env.js";
import { RunningMeanStd } from "./running-mean-std.js";
import type { Space } from "./space.js";
import { Wrapper } from "./wrapper.js";

/** Options of {@link NormalizeObservation}. */
export interface NormalizeObservationOptions {
  /** Added to the variance before the square root. Default 1e-8 (Gymnasium). */
  readonly epsilon?: number;
}

const defaults = { epsilon: 1e-8 } as const satisfies Required<NormalizeObservationOptions>;

/**
 * Normalises observations to zero mean and unit variance with running statistics (Gymnasium's
 * `NormalizeObservation`): every observation from `reset` and `step` updates the statistics, then is
 * returned as `(obs − mean) / sqrt(var + epsilon)`. Set `updateRunningMean = false` to freeze them
 * for evaluation. The observation space becomes an unbounded Box.
 */
export class NormalizeObservation<Act> extends Wrapper<Float32Array, Act, ArrayLike<number>, Act> {
  readonly rms: RunningMeanStd;
  /** Whether observations still update the statistics. */
  updateRunningMean = true;
  private readonly epsilon: number;
  private readonly space: Box;

  constructor(env: Env<ArrayLike<number>, Act>, options: NormalizeObservationOptions = {}) {
    super(env);
    this.epsilon = options.epsilon ?? defaults.epsilon;
    assertInRange("normalizeObservation.epsilon", this.epsilon, 0, 1);
    const size = env.observationSpace.size;
    this.rms = new RunningMeanStd(size);
    this.space = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, env.observationSpace.shape);
  }

  override get observationSpace(): Space<Float32Array> {
    return this.space as Space<Float32Array>;
  }

  override reset(options?: ResetOptions): ResetResult<Float32Array> {
    const result = this.env.reset(options);
    return { obs: this.normalize(result.obs), info: result.info };
  }

  override step(action: Act): StepResult<Float32Array> {
    const result = this.env.step(action);
    return { ...result, obs: this.normalize(result.obs) };
  }

  private normalize(obs: ArrayLike<number>): Float32Array {
    if (this.updateRunningMean) this.rms.update(obs);
    const out = new Float32Array(obs.length);
    const { mean, var: variance } = this.rms;
    // Gymnasium NormalizeObservation: (obs − mean) / sqrt(var + epsilon).
    for (let i = 0; i < obs.length; i++) out[i] = (obs[i] - mean[i]) / Math.sqrt(variance[i] + this.epsilon);
    return out;
  }
}
