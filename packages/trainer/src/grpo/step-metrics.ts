import { type Metrics, mean, type RewardInput, standardDeviation } from "@rlts/core";
import type { RolloutStats } from "@rlts/distributed";
import type { PromptExample } from "@rlts/env";
import type { BatchRewards } from "./rewards.js";

/** What one step's metrics are computed from. */
export interface StepRecord {
  readonly rewards: BatchRewards;
  readonly accuracyReward: string;
  readonly advantages: Float64Array;
  readonly advantageMetrics: Readonly<Record<string, number>>;
  readonly updateMetrics: Readonly<Record<string, number>>;
  readonly lengths: readonly number[];
  readonly stopped: readonly boolean[];
  /** Distributed figures, for a distributed run. */
  readonly distributed?: { readonly deadGroups: number; readonly stats: RolloutStats | undefined };
}

/**
 * A step's line of metrics.jsonl (TRL's names where TRL logs the same thing): `reward`, `reward/std`
 * and `reward/<label>` over the scored completions, `reward/abstained`, `accuracy`, the advantage
 * statistics and estimator metrics (`frac_reward_zero_std`), the objective's and optimiser's metrics
 * averaged over the update (`kl`, `clip_ratio/*`, `loss`, `grad_norm`, `lr`), completion lengths and
 * tokens. A mean over nothing is left out, not logged as NaN.
 */
export function stepMetrics(r: StepRecord): Metrics {
  const { total, components } = r.rewards;
  const scored = total.filter((v): v is number => v !== null);
  const metrics: Record<string, number> = {
    reward: mean(scored),
    "reward/std": standardDeviation(scored),
    // The share of completions no reward could score (left out of every reward statistic).
    "reward/abstained": (total.length - scored.length) / total.length,
  };
  for (const [label, scores] of Object.entries(components)) {
    metrics[`reward/${label}`] = mean(scores.filter((s): s is number => s !== null));
  }
  const accuracyScores = components[r.accuracyReward];
  if (accuracyScores) metrics.accuracy = mean(accuracyScores.map((s) => (s !== null && s > 0 ? 1 : 0)));
  metrics["advantage/mean"] = mean(r.advantages);
  metrics["advantage/std"] = standardDeviation(r.advantages);
  Object.assign(metrics, r.advantageMetrics, r.updateMetrics);
  metrics["completion_length/mean"] = mean(r.lengths);
  metrics["completion_length/clipped_ratio"] = mean(r.stopped.map((s) => (s ? 0 : 1)));
  metrics.tokens = r.lengths.reduce((a, b) => a + b, 0);
  if (r.distributed) {
    // Dead-lettered groups abstain, so their samples get zero advantage.
    metrics["distributed/dead_letter_groups"] = r.distributed.deadGroups;
    metrics["distributed/stale_rejected"] = r.distributed.stats?.staleRejected ?? 0;
    metrics["distributed/stale_accepted"] = r.distributed.stats?.staleAccepted ?? 0;
  }
  for (const [k, v] of Object.entries(metrics)) if (!Number.isFinite(v)) delete metrics[k];
  return metrics;
}

/**
 * The step's rows of samples.jsonl: `perStep` completions, one per prompt first (completion k of
 * prompt p is sample p·G + k), so the samples show different prompts.
 */
export function sampleRows(
  step: number,
  perStep: number,
  promptsPerStep: number,
  G: number,
  inputs: readonly RewardInput[],
  examples: readonly PromptExample[],
  groupIds: Int32Array,
  rewards: BatchRewards,
  advantages: Float64Array,
): Record<string, unknown>[] {
  const N = inputs.length;
  const rows: Record<string, unknown>[] = [];
  for (let k = 0; k < Math.min(perStep, N); k++) {
    const i = (k % promptsPerStep) * G + Math.floor(k / promptsPerStep);
    if (i >= N) continue;
    rows.push({
      step,
      prompt: inputs[i].prompt,
      completion: inputs[i].completion,
      answer: examples[groupIds[i]].answer,
      rewards: Object.fromEntries(Object.entries(rewards.components).map(([l, s]) => [l, s[i]])),
      total_reward: rewards.total[i],
      advantage: advantages[i],
    });
  }
  return rows;
}
