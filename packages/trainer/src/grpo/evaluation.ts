import type { CharTokenizer } from "@rlts/backend-tfjs";
import {
  ConfigError,
  createRng,
  type RewardFunction,
  type RewardInput,
  type RewardScores,
  type SequenceSampler,
} from "@rlts/core";
import type { PromptTask } from "@rlts/env";
import { isDetailedReward } from "@rlts/rewards";

/** Accuracy of greedy answers on a split, by reward label. */
export interface GrpoEvaluation {
  readonly label: string;
  readonly step: number;
  readonly n: number;
  readonly accuracy: Readonly<Record<string, number>>;
}

/** Inputs of {@link evaluateGreedyAccuracy}. */
export interface GreedyAccuracyOptions {
  /** Anything that samples: the training model, an onnxruntime engine, a rollout policy. */
  readonly model: Pick<SequenceSampler, "generate">;
  readonly tokenizer: CharTokenizer;
  readonly task: PromptTask;
  readonly reward: RewardFunction;
  readonly template: string;
  readonly maxNewTokens: number;
  readonly split: "train" | "test";
  readonly limit?: number;
  readonly batchSize?: number;
  readonly label: string;
  readonly step: number;
}

/** The prompt text of a question: `{question}` of the template replaced. */
export function promptText(template: string, question: string): string {
  return template.replaceAll("{question}", question);
}

/**
 * Every component's scores of `inputs`: a composite's per label, else the reward's own under its
 * name. `groupIds` names each input's prompt group (rewards that normalise per group read it).
 */
export async function componentScores(
  reward: RewardFunction,
  inputs: readonly RewardInput[],
  groupIds: readonly number[],
): Promise<{ total: RewardScores; components: Record<string, RewardScores> }> {
  if (isDetailedReward(reward)) {
    const detailed = await reward.scoreDetailed(inputs, { groupIds });
    return { total: detailed.total, components: detailed.components };
  }
  const scores = await reward.score(inputs, { groupIds });
  return { total: scores, components: { [reward.name]: scores } };
}

/**
 * Greedy completions of the first `limit` examples of a split, scored by `reward`; accuracy per
 * component is the fraction scored above 0 (per the whole reward for a non-composite one).
 */
export async function evaluateGreedyAccuracy(o: GreedyAccuracyOptions): Promise<GrpoEvaluation> {
  const examples = o.task.examples(o.split).slice(0, o.limit ?? Number.POSITIVE_INFINITY);
  if (examples.length === 0) throw new ConfigError("eval.split", o.split, "this split holds no examples");
  const batch = o.batchSize ?? 32;
  const hits: Record<string, number> = {};
  for (let a = 0; a < examples.length; a += batch) {
    const part = examples.slice(a, a + batch);
    const texts = part.map((e) => promptText(o.template, e.question));
    const out = await o.model.generate({
      prompts: texts.map((t) => o.tokenizer.encode(t, { bos: true })),
      maxNewTokens: o.maxNewTokens,
      temperature: 0,
      stopTokens: [o.tokenizer.eosId],
      rng: createRng(0),
    });
    const inputs: RewardInput[] = out.completions.map((c, i) => ({
      prompt: texts[i],
      completion: o.tokenizer.decode(c, { skipSpecial: true }),
      fields: part[i].fields,
      completionTokens: c.length,
      truncated: !out.stopped[i],
    }));
    // One greedy completion per example: each is its own group.
    const { components } = await componentScores(
      o.reward,
      inputs,
      inputs.map((_, i) => i),
    );
    for (const [label, scores] of Object.entries(components)) {
      hits[label] = (hits[label] ?? 0) + scores.filter((s) => s !== null && s > 0).length;
    }
  }
  const accuracy = Object.fromEntries(Object.entries(hits).map(([k, v]) => [k, v / examples.length]));
  return { label: o.label, step: o.step, n: examples.length, accuracy };
}
