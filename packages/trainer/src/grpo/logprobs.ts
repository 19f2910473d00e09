import type { SequenceScorer } from "@rlts/core";
import type { GrpoConfig } from "../config/schema.js";

/**
 * T of every training-side log-prob, log softmax(z/T): `train.logprobTemperature`, whose default
 * `sampling` is the rollout temperature (TRL divides the logits by it), 1 when sampling is greedy.
 */
export function trainingTemperature(config: GrpoConfig): number {
  const t = config.train.logprobTemperature;
  if (t !== "sampling") return t;
  return config.rollout.temperature > 0 ? config.rollout.temperature : 1;
}

/**
 * Whether the sampler's own log-probs of the tokens it drew are log π_old under the scored
 * distribution: no top-k/top-p truncation and the same temperature (then no scoring pass is needed).
 */
export function samplerLogprobsAreScored(config: GrpoConfig): boolean {
  const { temperature, topK, topP } = config.rollout;
  return topK === 0 && topP === 1 && temperature === trainingTemperature(config);
}

/** Scores samples `indices` of `sequences` from `start` at temperature T, `chunk` sequences per call. */
export async function scoreSamples(
  scorer: Pick<SequenceScorer, "score">,
  sequences: readonly Int32Array[],
  start: readonly number[],
  indices: readonly number[],
  chunk: number,
  temperature: number,
): Promise<Float32Array[]> {
  const out: Float32Array[] = sequences.map(() => new Float32Array(0));
  for (let a = 0; a < indices.length; a += chunk) {
    const idx = indices.slice(a, a + chunk);
    const r = await scorer.score({
      sequences: idx.map((i) => sequences[i]),
      start: idx.map((i) => start[i]),
      temperature,
    });
    idx.forEach((i, k) => {
      out[i] = r.logprobs[k];
    });
  }
  return out;
}
