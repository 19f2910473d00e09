import type { CharTokenizer, GptModel } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import type { PromptExample } from "@rlts/env";
import { FormatReward, MathCorrectnessReward } from "@rlts/rewards";
import { promptText } from "./task.js";

/** Graders of the two accuracies: `strict` needs the exact `<think>…</think><answer>…</answer>` shape. */
const strictGrader = new MathCorrectnessReward({ strict: true });
/** `lenient` accepts any extractable final answer (an answer tag, a `####` line, or the last number). */
const lenientGrader = new MathCorrectnessReward({ format: "auto" });

/** Whether one completion is right under each grading mode. */
export interface CompletionGrade {
  readonly strict: boolean;
  readonly lenient: boolean;
}

/** Grades one completion against the reference answer of its example. */
export function gradeCompletion(completion: string, answer: string | number): CompletionGrade {
  const input = { prompt: "", completion, fields: { answer } };
  return {
    strict: strictGrader.score([input])[0] === 1,
    lenient: lenientGrader.score([input])[0] === 1,
  };
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Prompts generated together. Default 100. */
  readonly batchSize?: number;
  /** Generation budget per completion, in tokens. Default 40. */
  readonly maxNewTokens?: number;
  /** The prompt of an example, as training saw it. Default {@link promptText} (`{question}\n`). */
  readonly prompt?: (example: PromptExample) => string;
  /** Called after each batch with the number of problems done. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Greedy accuracy of a model on a set of problems. */
export interface EvaluationResult {
  /** Fraction right with the answer inside a well-formed `<think>…</think><answer>…</answer>`. */
  readonly strict: number;
  /** Fraction right wherever the final answer is. */
  readonly lenient: number;
  /** Fraction of completions in the exact format, right or wrong. */
  readonly formatted: number;
  /**
   * Fraction whose worked solution (inside `<think>`) ends at the right result, whatever the answer
   * says: with {@link EvaluationResult.strict} it splits a gain into better arithmetic and answers that
   * follow the model's own working.
   */
  readonly workedRight: number;
  readonly n: number;
  /** Every completion with its grade, in problem order. */
  readonly completions: readonly { id: string; completion: string; answer: string; grade: CompletionGrade }[];
}

/**
 * Greedy (temperature 0) accuracy of `model` on `examples`. Greedy decoding makes the number a property
 * of the weights alone: the same checkpoint always scores the same.
 */
export async function evaluate(
  model: GptModel,
  tokenizer: CharTokenizer,
  examples: readonly PromptExample[],
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const batchSize = options.batchSize ?? 100;
  const maxNewTokens = options.maxNewTokens ?? 40;
  const prompt = options.prompt ?? promptText;
  const completions: EvaluationResult["completions"][number][] = [];
  let strict = 0;
  let lenient = 0;
  let formatted = 0;
  let workedRight = 0;
  for (let i = 0; i < examples.length; i += batchSize) {
    const batch = examples.slice(i, i + batchSize);
    // GptModel.generate decodes with its key/value cache (each new token costs one position).
    const out = await model.generate({
      prompts: batch.map((e) => tokenizer.encode(prompt(e), { bos: true })),
      maxNewTokens,
      temperature: 0,
      stopTokens: [tokenizer.eosId],
      rng: createRng(0),
    });
    batch.forEach((example, b) => {
      const completion = tokenizer.decode(out.completions[b], { skipSpecial: true });
      const grade = gradeCompletion(completion, example.answer);
      strict += grade.strict ? 1 : 0;
      lenient += grade.lenient ? 1 : 0;
      formatted += isWellFormed(completion) ? 1 : 0;
      workedRight += workedResult(completion) === String(example.answer) ? 1 : 0;
      completions.push({ id: example.id, completion, answer: example.answer, grade });
    });
    options.onProgress?.(Math.min(i + batchSize, examples.length), examples.length);
  }
  const n = examples.length;
  return {
    strict: strict / n,
    lenient: lenient / n,
    formatted: formatted / n,
    workedRight: workedRight / n,
    n,
    completions,
  };
}

/**
 * The result the worked solution ends at: the number after the last `=` inside `<think>…</think>`
 * (`<think>7+5=12, 12-3=9</think>` → `"9"`), or undefined without a think block or an `=`.
 */
export function workedResult(completion: string): string | undefined {
  const think = /<think>([\s\S]*?)<\/think>/.exec(completion);
  if (!think) return undefined;
  const results = [...think[1].matchAll(/=\s*(-?\d+)/g)];
  return results.at(-1)?.[1];
}

const formatGrader = new FormatReward();

/** Whether a completion is exactly `<think>…</think><answer>…</answer>` (right or wrong). */
export function isWellFormed(completion: string): boolean {
  return formatGrader.score([{ prompt: "", completion, fields: {} }])[0] === 1;
}
