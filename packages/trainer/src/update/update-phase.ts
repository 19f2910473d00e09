import type { Metrics, Objective, Rng } from "@rlts/core";
import { shuffleInPlace } from "@rlts/core";

/** Averages named metrics over the calls that reported them; non-finite values are left out. */
export class MetricMeans {
  private readonly sums = new Map<string, number>();
  private readonly counts = new Map<string, number>();

  /** Adds one report (numbers only; a NaN or ±Infinity of one call does not poison the mean). */
  add(metrics: Readonly<Record<string, number>>): void {
    for (const [k, v] of Object.entries(metrics)) {
      if (!Number.isFinite(v)) continue;
      this.sums.set(k, (this.sums.get(k) ?? 0) + v);
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    }
  }

  /** The mean of every metric reported at least once. */
  means(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, s] of this.sums) out[k] = s / (this.counts.get(k) as number);
    return out;
  }
}

/** One update phase: `epochs` passes of shuffled minibatches over a batch of samples. */
export interface UpdatePhaseOptions {
  /** The samples (rows of the batch) to train on, in stored order; each epoch shuffles a copy. */
  readonly samples: ArrayLike<number>;
  /** Passes over the samples (PPO epochs, GRPO's μ). */
  readonly epochs: number;
  /** Samples per minibatch; `minibatches` of them are taken per epoch (a remainder is left out). */
  readonly minibatchSize: number;
  readonly minibatches: number;
  /** The shuffle stream: the minibatch order is seeded (and resumable with the stream's state). */
  readonly rng: Rng;
  /** Its early stops: `stopBeforeStep` (SB3 target KL) and `stopAfterEpoch` (CleanRL target KL). */
  readonly objective: Pick<Objective, "stopBeforeStep" | "stopAfterEpoch">;
  /** The minibatch's loss metrics without an optimiser step, for `stopBeforeStep`. */
  readonly probe: (minibatch: Int32Array) => Metrics | Promise<Metrics>;
  /**
   * One optimiser step on the minibatch; returns the metrics to average over the phase (several
   * reports, e.g. one per accumulated micro-batch, each count once).
   */
  readonly step: (minibatch: Int32Array) => StepReport | Promise<StepReport>;
}

/** The metrics of one optimiser step: one report or several. */
export type StepReport = Metrics | readonly Metrics[];

/** What {@link runUpdatePhase} did. */
export interface UpdatePhaseResult {
  /** Each metric's mean over the optimiser steps that reported it. */
  readonly metrics: Record<string, number>;
  readonly optimizerSteps: number;
  /** Whether one of the objective's early stops ended the phase. */
  readonly stoppedEarly: boolean;
}

/**
 * The minibatch loop both trainers share (CleanRL `ppo.py`'s update phase): for each epoch a fresh
 * Fisher–Yates shuffle of the samples, then one optimiser step per minibatch. An objective's
 * `stopBeforeStep` sees each minibatch's loss metrics before its step and can end the phase (SB3
 * checks 1.5·target_kl there); `stopAfterEpoch` sees the last minibatch's metrics after each epoch
 * (CleanRL checks target_kl there).
 */
export async function runUpdatePhase(o: UpdatePhaseOptions): Promise<UpdatePhaseResult> {
  const means = new MetricMeans();
  let optimizerSteps = 0;
  let stoppedEarly = false;
  for (let epoch = 0; epoch < o.epochs && !stoppedEarly; epoch++) {
    const order = shuffleInPlace(Int32Array.from(o.samples), o.rng);
    let last: Metrics = {};
    for (let m = 0; m < o.minibatches; m++) {
      const minibatch = order.subarray(m * o.minibatchSize, (m + 1) * o.minibatchSize);
      if (o.objective.stopBeforeStep?.(await o.probe(minibatch))) {
        stoppedEarly = true;
        break;
      }
      const report = await o.step(minibatch);
      const reports: readonly Metrics[] = Array.isArray(report) ? report : [report as Metrics];
      for (const r of reports) means.add(r);
      last = Object.assign({}, ...reports);
      optimizerSteps++;
    }
    if (!stoppedEarly && o.objective.stopAfterEpoch?.(last)) stoppedEarly = true;
  }
  return { metrics: means.means(), optimizerSteps, stoppedEarly };
}
