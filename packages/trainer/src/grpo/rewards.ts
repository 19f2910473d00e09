import { type RewardFunction, type RewardInput, RltsError } from "@rlts/core";
import type { DistributedClient } from "@rlts/distributed";
import { componentScores } from "./evaluation.js";

/** A reward plugin threw (a composite records component failures instead; a bare reward cannot). */
export class RewardError extends RltsError {}

/** One generation batch's rewards: the combined score and each component's, by label. */
export interface BatchRewards {
  /** The reward of each completion; `null` where every reward abstained. */
  readonly total: readonly (number | null)[];
  readonly components: Readonly<Record<string, readonly (number | null)[]>>;
  /** Groups dead-lettered on the reward workers (they abstain). */
  readonly deadGroups: number;
}

/**
 * Scores a generation batch: on the reward workers of a distributed run (one job per prompt's group;
 * a group dead-lettered after every attempt abstains), else in-process with the run's reward. A bare
 * reward that throws, returns the wrong number of scores or a non-finite one stops the run with a
 * {@link RewardError} naming the reward, the step and the fix.
 */
export async function scoreBatch(
  reward: RewardFunction,
  inputs: readonly RewardInput[],
  groupIds: Int32Array,
  step: number,
  distributed?: DistributedClient,
): Promise<BatchRewards> {
  if (distributed) {
    const scored = await distributed.scoreGroups(inputs, groupIds);
    return { total: scored.total, components: scored.components, deadGroups: scored.deadGroups.length };
  }
  try {
    const { total, components } = await componentScores(reward, inputs, [...groupIds]);
    if (!Array.isArray(total) || total.length !== inputs.length) {
      throw new Error(
        `returned ${Array.isArray(total) ? total.length : typeof total} scores for ${inputs.length} completions`,
      );
    }
    total.forEach((s, i) => {
      if (s !== null && !Number.isFinite(s))
        throw new Error(`score ${i} is ${s}; return a finite number or null`);
    });
    return { total, components, deadGroups: 0 };
  } catch (error) {
    throw new RewardError(
      `reward "${reward.name}" failed at step ${step}: ${(error as Error).message}. ` +
        "Fix the reward plugin, or list it as a component of a composite reward (reward: [ ... ]), which records failures as 0 instead of stopping",
    );
  }
}
