import { assertInteger, StateError } from "@rlts/core";
import type { Env, EnvSpec, ResetOptions, ResetResult, StepResult } from "./env.js";
import { Wrapper } from "./wrapper.js";

/**
 * Truncates an episode after `maxEpisodeSteps` steps (Gymnasium's `TimeLimit`): the step that reaches
 * the limit returns `truncated: true` (and keeps the env's `terminated`, so both can be true; then
 * `terminated` wins for bootstrapping). Stepping after the truncation without a reset throws.
 */
export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  private elapsedSteps = 0;
  private needsReset = true;
  private readonly limitedSpec: EnvSpec;

  constructor(
    env: Env<Obs, Act>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    assertInteger("env.maxEpisodeSteps", maxEpisodeSteps, 1);
    this.limitedSpec = { id: env.spec?.id ?? "custom", ...env.spec, maxEpisodeSteps };
  }

  override get spec(): EnvSpec {
    return this.limitedSpec;
  }

  /** Steps taken in the current episode. */
  get elapsed(): number {
    return this.elapsedSteps;
  }

  override reset(options?: ResetOptions): ResetResult<Obs> {
    const result = this.env.reset(options);
    this.elapsedSteps = 0;
    this.needsReset = false;
    return result;
  }

  override step(action: Act): StepResult<Obs> {
    if (this.needsReset) {
      throw new StateError(
        "TimeLimit.step() called before reset() or after the episode ended; call env.reset() to start a new episode",
      );
    }
    const result = this.env.step(action);
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps && !result.truncated) {
      this.needsReset = true;
      return { ...result, truncated: true };
    }
    if (result.terminated || result.truncated) this.needsReset = true;
    return result;
  }
}
