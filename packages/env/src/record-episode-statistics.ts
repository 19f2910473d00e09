import { assertInteger } from "@rlts/core";
import type { Env, ResetOptions, ResetResult, StepResult } from "./env.js";
import { Wrapper } from "./wrapper.js";

/** The episode summary {@link RecordEpisodeStatistics} puts in `info.episode` (Gymnasium's `r`, `l`, `t`). */
export interface EpisodeStatistics {
  /** Undiscounted return. */
  readonly r: number;
  /** Length in steps. */
  readonly l: number;
  /** Wall-clock seconds since the episode's reset. */
  readonly t: number;
}

/**
 * Adds `info.episode = { r, l, t }` to the last step of each episode and keeps the last
 * `bufferLength` returns and lengths (Gymnasium's `RecordEpisodeStatistics`).
 */
export class RecordEpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  /** Returns of the most recent episodes, oldest first. */
  readonly returnQueue: number[] = [];
  /** Lengths of the most recent episodes, oldest first. */
  readonly lengthQueue: number[] = [];
  /** Episodes finished since construction. */
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly bufferLength = 100,
  ) {
    super(env);
    assertInteger("recordEpisodeStatistics.bufferLength", bufferLength, 1);
  }

  override reset(options?: ResetOptions): ResetResult<Obs> {
    const result = this.env.reset(options);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodeStart = performance.now();
    return result;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength++;
    if (!result.terminated && !result.truncated) return result;
    const episode: EpisodeStatistics = {
      r: this.episodeReturn,
      l: this.episodeLength,
      t: Math.round(performance.now() - this.episodeStart) / 1000,
    };
    this.episodeCount++;
    this.returnQueue.push(episode.r);
    this.lengthQueue.push(episode.l);
    if (this.returnQueue.length > this.bufferLength) {
      this.returnQueue.shift();
      this.lengthQueue.shift();
    }
    return { ...result, info: { ...result.info, episode } };
  }
}
