import { assertInteger, ConfigError, type Rng, ShapeError, StateError } from "@rlts/core";
import { resetBounds } from "./base-env.js";
import {
  type CartPoleOptions,
  cartPoleObservationSpace,
  cartPoleSemiImplicit,
  cartPoleStep,
} from "./cartpole.js";
import { Discrete } from "./discrete.js";
import type { Info, ResetOptions } from "./env.js";
import { InvalidActionError } from "./errors.js";
import type { EpisodeStatistics } from "./record-episode-statistics.js";
import { seededRng } from "./seeding.js";
import type { VecEnv, VecResetResult, VecStepResult } from "./vec-env.js";

/** Options of {@link CartPoleVecEnv}. */
export interface CartPoleVecEnvOptions extends CartPoleOptions {
  /** Time limit per episode. Default 500 (CartPole-v1). */
  readonly maxEpisodeSteps?: number;
}

const defaults = { maxEpisodeSteps: 500 } as const;

/**
 * `numEnvs` CartPole-v1 environments in flat arrays (Gymnasium's `CartPoleVectorEnv`): the same
 * dynamics, time limit and seeding as `makeVecEnv("CartPole-v1", numEnvs)` — env `e` reset with
 * `seed + e` follows exactly the trajectory of a `SyncVecEnv` — and the same same-step autoreset, but
 * with no allocation per step except `info.finalInfo[e].episode` when an episode ends.
 */
export class CartPoleVecEnv implements VecEnv {
  readonly singleObservationSpace = cartPoleObservationSpace();
  readonly singleActionSpace = new Discrete(2);
  readonly obsSize = 4;
  readonly actionSize = 1;
  readonly maxEpisodeSteps: number;
  private readonly semiImplicit: boolean;
  private readonly state: Float64Array;
  private readonly elapsed: Int32Array;
  private readonly returns: Float64Array;
  private readonly starts: Float64Array;
  private readonly rngs: Rng[];
  private readonly obs: Float32Array;
  private readonly finalObs: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly finalInfo: (Info | undefined)[];
  private readonly infos: Info[];
  private readonly result: VecStepResult;
  private low = -0.05;
  private high = 0.05;
  private started = false;

  constructor(
    readonly numEnvs: number,
    options: CartPoleVecEnvOptions = {},
  ) {
    assertInteger("vecEnv.numEnvs", numEnvs, 1);
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? defaults.maxEpisodeSteps;
    assertInteger("env.maxEpisodeSteps", this.maxEpisodeSteps, 1);
    this.semiImplicit = cartPoleSemiImplicit(options);
    this.state = new Float64Array(numEnvs * 4);
    this.elapsed = new Int32Array(numEnvs);
    this.returns = new Float64Array(numEnvs);
    this.starts = new Float64Array(numEnvs);
    this.rngs = Array.from({ length: numEnvs }, () => seededRng(0));
    this.obs = new Float32Array(numEnvs * 4);
    this.finalObs = new Float32Array(numEnvs * 4);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.finalInfo = new Array(numEnvs).fill(undefined);
    this.infos = new Array(numEnvs).fill(Object.freeze({}));
    this.result = {
      obs: this.obs,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      info: { finalObservation: this.finalObs, finalInfo: this.finalInfo, infos: this.infos },
    };
  }

  reset(options: ResetOptions = {}): VecResetResult {
    const { seed } = options;
    if (seed !== undefined) {
      if (!Number.isSafeInteger(seed)) throw new ConfigError("reset.seed", seed, "use a whole number");
      for (let e = 0; e < this.numEnvs; e++) this.rngs[e] = seededRng(seed + e);
    }
    [this.low, this.high] = resetBounds(options.options, -0.05, 0.05, "CartPoleVecEnv.reset");
    for (let e = 0; e < this.numEnvs; e++) {
      this.resetEnv(e);
      this.finalInfo[e] = undefined;
    }
    this.started = true;
    return { obs: this.obs, infos: this.infos };
  }

  step(actions: ArrayLike<number>): VecStepResult {
    if (!this.started)
      throw new StateError("CartPoleVecEnv.step() called before reset(); call reset() first");
    if (actions == null || actions.length !== this.numEnvs) {
      throw new ShapeError("vecEnv.step(actions)", `${this.numEnvs} actions`, String(actions?.length));
    }
    const { state, obs, finalObs } = this;
    for (let e = 0; e < this.numEnvs; e++) {
      const action = actions[e];
      if (action !== 0 && action !== 1) {
        throw new InvalidActionError(`CartPoleVecEnv (env ${e})`, action, "Discrete(2)");
      }
    }
    for (let e = 0; e < this.numEnvs; e++) {
      const o = e * 4;
      const terminated = cartPoleStep(state, o, actions[e], this.semiImplicit);
      const elapsed = ++this.elapsed[e];
      // TimeLimit: truncated at the limit, whatever `terminated` says (both may be set).
      const truncated = elapsed >= this.maxEpisodeSteps;
      this.rewards[e] = 1.0;
      this.returns[e] += 1.0;
      this.terminated[e] = terminated ? 1 : 0;
      this.truncated[e] = truncated ? 1 : 0;
      if (terminated || truncated) {
        for (let i = 0; i < 4; i++) finalObs[o + i] = state[o + i];
        const episode: EpisodeStatistics = {
          r: this.returns[e],
          l: elapsed,
          t: Math.round(performance.now() - this.starts[e]) / 1000,
        };
        this.finalInfo[e] = { episode };
        this.resetEnv(e);
      } else {
        for (let i = 0; i < 4; i++) obs[o + i] = state[o + i];
        this.finalInfo[e] = undefined;
      }
    }
    return this.result;
  }

  close(): void {}

  private resetEnv(e: number): void {
    const rng = this.rngs[e];
    const o = e * 4;
    const { low, high } = this;
    for (let i = 0; i < 4; i++) {
      this.state[o + i] = low + (high - low) * rng.next();
      this.obs[o + i] = this.state[o + i];
    }
    this.elapsed[e] = 0;
    this.returns[e] = 0;
    this.starts[e] = performance.now();
  }
}
