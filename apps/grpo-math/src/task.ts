import { CharTokenizer } from "@rlts/backend-tfjs";
import { type ArithmeticTaskOptions, createArithmeticTask, type PromptExample } from "@rlts/env";

/** The tags of the reasoning format, each one token of the tokenizer. */
export const formatTokens = ["<think>", "</think>", "<answer>", "</answer>"] as const;

/**
 * The arithmetic task of the demo: one-digit operands, `+` and `-`, one to three operations
 * (`What is 7 + 5 - 3?`, worked as `7+5=12, 12-3=9`). A short warm-up teaches a 2-layer character
 * model the format and part of the addition and subtraction facts; chained steps compound its
 * mistakes, which is what GRPO then fixes. The test split (500 problems) never repeats a training
 * question.
 */
export const taskDefaults = {
  digits: 1,
  operators: ["+", "-"],
  steps: [1, 3],
  trainSize: 20_000,
  testSize: 500,
  seed: 0,
} as const satisfies ArithmeticTaskOptions;

/** Builds the arithmetic task with {@link taskDefaults} overridden by `options`. */
export function createTask(options: ArithmeticTaskOptions = {}) {
  return createArithmeticTask({ ...taskDefaults, ...options });
}

/**
 * The tokenizer: every character the arithmetic prompts and solutions use, plus the four format tags
 * as single tokens. GSM8K questions contain other characters; they map to `<unk>`.
 */
export function createTokenizer(): CharTokenizer {
  const chars = "0123456789+-*=,.?:; abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$%()/'\"\n";
  return CharTokenizer.fromText(chars, { multiCharTokens: [...formatTokens] });
}

/** The text the model is conditioned on: the question alone (the model starts its answer with `<think>`). */
export function promptText(example: Pick<PromptExample, "question">): string {
  return `${example.question}\n`;
}

/** The reference completion of a warm-up example: the worked solution, then the final answer. */
export function targetCompletion(example: Pick<PromptExample, "solution" | "answer">): string {
  return `<think>${example.solution ?? ""}</think><answer>${example.answer}</answer>`;
}
