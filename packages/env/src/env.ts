import type { Space } from "./space.js";

/** Extra information of a step or reset (Gymnasium's `info` dict). */
export type Info = Readonly<Record<string, unknown>>;

/** The info of a step that adds nothing: shared and frozen so stepping does not allocate one. */
export const emptyInfo: Info = Object.freeze({});

/** Arguments of {@link Env.reset}, as Gymnasium's `reset(seed=None, options=None)`. */
export interface ResetOptions {
  /**
   * Re-seeds the environment's generator (`seededRng(seed)`). Without a seed the environment continues
   * its own stream, so a run seeded once at the first reset is reproducible.
   */
  readonly seed?: number;
  /** Environment-specific reset options, e.g. `{ low: -0.1, high: 0.1 }` for the classic-control bounds. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** What {@link Env.reset} returns: Gymnasium's `(obs, info)`. */
export interface ResetResult<Obs> {
  readonly obs: Obs;
  readonly info: Info;
}

/** What {@link Env.step} returns: Gymnasium's `(obs, reward, terminated, truncated, info)`. */
export interface StepResult<Obs> {
  readonly obs: Obs;
  readonly reward: number;
  /** The episode reached a terminal state of the MDP: do not bootstrap from `obs`. */
  readonly terminated: boolean;
  /** The episode was cut (time limit): bootstrap from `obs`, the final observation. */
  readonly truncated: boolean;
  readonly info: Info;
}

/** Registration data of an environment id (Gymnasium's `EnvSpec`). */
export interface EnvSpec {
  readonly id: string;
  /** Episode length after which `TimeLimit` truncates; undefined for no limit. */
  readonly maxEpisodeSteps?: number;
  /** The average return above which the task counts as solved. */
  readonly rewardThreshold?: number;
}

/**
 * An environment with Gymnasium's contract: `reset` returns the first observation, `step` advances one
 * step. Stepping before the first reset or after `terminated`/`truncated` without a reset throws a
 * `StateError`; an action outside `actionSpace` throws an `InvalidActionError`.
 */
export interface Env<Obs = unknown, Act = unknown> {
  readonly observationSpace: Space<Obs>;
  readonly actionSpace: Space<Act>;
  /** Set by `makeEnv`; undefined for an environment built by hand. */
  readonly spec?: EnvSpec;
  /** The innermost environment, below every wrapper (Gymnasium's `env.unwrapped`). */
  readonly unwrapped: Env;
  reset(options?: ResetOptions): ResetResult<Obs>;
  step(action: Act): StepResult<Obs>;
  /** Frees resources. The classic-control envs hold none. */
  close(): void;
}
