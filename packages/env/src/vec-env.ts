import { assertInteger, ConfigError, ShapeError } from "@rlts/core";
import { Box } from "./box.js";
import type { Env, Info, ResetOptions } from "./env.js";
import { MultiDiscrete } from "./multi-discrete.js";
import { flattenInto, type Space } from "./space.js";

/** A flat observation buffer: row `e` (entries `e·obsSize … (e+1)·obsSize − 1`) is environment `e`. */
export type ObsBuffer = Float32Array | Float64Array;

/** Per-step information of a {@link VecEnv}. Arrays are reused: copy what you keep. */
export interface VecInfo {
  /**
   * Where `terminated[e] || truncated[e]`: row `e` holds the last observation of the episode that just
   * ended (Gymnasium's `final_obs`, SB3's `terminal_observation`), because `obs` row `e` already holds
   * the first observation of the next episode. Bootstrap truncated episodes from this row
   * (`Batch.truncationValues` = V(final observation)). Other rows are stale.
   */
  readonly finalObservation: ObsBuffer;
  /** The info of the last step of the episode that ended at `e`, else undefined. */
  readonly finalInfo: readonly (Info | undefined)[];
  /** The info of each environment's step (the reset info where the episode ended). */
  readonly infos: readonly Info[];
}

/** What {@link VecEnv.reset} returns. */
export interface VecResetResult {
  /** `numEnvs × obsSize` observations; reused by the next reset or step. */
  readonly obs: ObsBuffer;
  readonly infos: readonly Info[];
}

/** What {@link VecEnv.step} returns. Every array is owned by the VecEnv and overwritten by the next call. */
export interface VecStepResult {
  /** `numEnvs × obsSize` observations, after auto-reset where an episode ended. */
  readonly obs: ObsBuffer;
  readonly rewards: Float64Array;
  /** 1 where the episode reached a terminal state. */
  readonly terminated: Uint8Array;
  /** 1 where the episode was cut by a time limit. Both can be 1; then `terminated` wins (no bootstrap). */
  readonly truncated: Uint8Array;
  readonly info: VecInfo;
}

/**
 * `numEnvs` environments stepped together with flat buffers, auto-resetting in the **same step**
 * (Gymnasium ≥ 1.0 `AutoresetMode.SAME_STEP`, SB3's VecEnv): the step that ends an episode returns the
 * next episode's first observation in `obs` and the ending observation in `info.finalObservation`, so
 * every returned step is a real transition and GAE can bootstrap a truncation from
 * V(final observation). Rewards, `terminated` and `truncated` belong to the episode that ended.
 */
export interface VecEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  /** Numbers per observation (the row length of `obs`). */
  readonly obsSize: number;
  /** Numbers per action (1 for Discrete): `step` takes `numEnvs × actionSize` numbers. */
  readonly actionSize: number;
  /** Resets every env; with `seed`, env `e` is reset with `seed + e` (Gymnasium's vector convention). */
  reset(options?: ResetOptions): VecResetResult;
  /** Steps env `e` with `actions[e·actionSize … (e+1)·actionSize − 1]`. */
  step(actions: ArrayLike<number>): VecStepResult;
  close(): void;
}

/**
 * The generic {@link VecEnv}: steps each environment in turn in this thread (Gymnasium's
 * `SyncVectorEnv`) and copies observations into flat, preallocated buffers. Observations are float32
 * unless the observation space is a float64 Box.
 */
export class SyncVecEnv implements VecEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly envs: readonly Env[];
  private readonly obs: ObsBuffer;
  private readonly finalObs: ObsBuffer;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly finalInfo: (Info | undefined)[];
  private readonly infos: Info[];
  /** Per-env action buffers for vector actions; undefined for Discrete. */
  private readonly actionBuffers?: (Float32Array | Float64Array | Int32Array)[];
  private readonly result: VecStepResult;

  /** Builds `numEnvs` environments with `makeEnv(index)`; they must share their spaces' shapes. */
  constructor(makeEnv: (index: number) => Env, numEnvs: number) {
    assertInteger("vecEnv.numEnvs", numEnvs, 1);
    const envs: Env[] = [];
    for (let e = 0; e < numEnvs; e++) envs.push(makeEnv(e));
    this.envs = envs;
    this.numEnvs = numEnvs;
    this.singleObservationSpace = envs[0].observationSpace;
    this.singleActionSpace = envs[0].actionSpace;
    this.obsSize = this.singleObservationSpace.size;
    this.actionSize = this.singleActionSpace.size;
    for (let e = 1; e < numEnvs; e++) {
      if (envs[e].observationSpace.size !== this.obsSize || envs[e].actionSpace.size !== this.actionSize) {
        throw new ConfigError(
          `vecEnv.envs[${e}]`,
          String(envs[e].observationSpace),
          `every env must have the spaces of env 0 (${String(this.singleObservationSpace)}, ${String(this.singleActionSpace)})`,
        );
      }
    }
    const space = this.singleObservationSpace;
    const Obs = space instanceof Box && space.dtype === "float64" ? Float64Array : Float32Array;
    this.obs = new Obs(numEnvs * this.obsSize);
    this.finalObs = new Obs(numEnvs * this.obsSize);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.finalInfo = new Array(numEnvs).fill(undefined);
    this.infos = new Array(numEnvs).fill({});
    const act = this.singleActionSpace;
    if (act instanceof Box) {
      this.actionBuffers = envs.map(() =>
        act.dtype === "float64" ? new Float64Array(act.size) : new Float32Array(act.size),
      );
    } else if (act instanceof MultiDiscrete) {
      this.actionBuffers = envs.map(() => new Int32Array(act.size));
    }
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
    for (let e = 0; e < this.numEnvs; e++) {
      const r = this.envs[e].reset(seed === undefined ? options : { ...options, seed: seed + e });
      flattenInto(r.obs, this.obs, e * this.obsSize);
      this.infos[e] = r.info;
      this.finalInfo[e] = undefined;
    }
    return { obs: this.obs, infos: this.infos };
  }

  step(actions: ArrayLike<number>): VecStepResult {
    if (actions == null || actions.length !== this.numEnvs * this.actionSize) {
      throw new ShapeError(
        "vecEnv.step(actions)",
        `${this.numEnvs * this.actionSize} numbers (numEnvs ${this.numEnvs} × actionSize ${this.actionSize})`,
        actions == null ? String(actions) : `${actions.length}`,
      );
    }
    const { obsSize, actionSize, actionBuffers } = this;
    for (let e = 0; e < this.numEnvs; e++) {
      const env = this.envs[e];
      let action: unknown;
      if (actionBuffers) {
        const buf = actionBuffers[e];
        for (let i = 0; i < actionSize; i++) buf[i] = actions[e * actionSize + i];
        action = buf;
      } else {
        action = actions[e];
      }
      const r = env.step(action);
      this.rewards[e] = r.reward;
      this.terminated[e] = r.terminated ? 1 : 0;
      this.truncated[e] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        // Same-step autoreset: keep the final observation, hand out the next episode's first one.
        flattenInto(r.obs, this.finalObs, e * obsSize);
        this.finalInfo[e] = r.info;
        const next = env.reset();
        flattenInto(next.obs, this.obs, e * obsSize);
        this.infos[e] = next.info;
      } else {
        flattenInto(r.obs, this.obs, e * obsSize);
        this.finalInfo[e] = undefined;
        this.infos[e] = r.info;
      }
    }
    return this.result;
  }

  close(): void {
    for (const env of this.envs) env.close();
  }
}
