import { InMemoryPromptTask, type JsonlTaskOptions, loadJsonlTask, type PromptExample } from "@rlts/env";

/** Options of the `jsonl-tail` prompt task: a JSONL task whose questions keep only their last characters. */
export interface JsonlTailOptions extends JsonlTaskOptions {
  /** Characters of each question kept, from its end (where GSM8K asks the actual question). */
  readonly maxQuestionChars: number;
}

/**
 * A GSM8K-format JSONL task for a model whose context is shorter than the questions: each question is
 * cut to its last `maxQuestionChars` characters, so that prompt + completion fit the context (the
 * trainer rejects prompts that do not). A character model reads one token per character here.
 */
export function loadJsonlTailTask(options: JsonlTailOptions): InMemoryPromptTask {
  const { maxQuestionChars, ...jsonl } = options;
  const task = loadJsonlTask(jsonl);
  const cut = (e: PromptExample): PromptExample => ({ ...e, question: e.question.slice(-maxQuestionChars) });
  return new InMemoryPromptTask("jsonl-tail", {
    train: task.examples("train").map(cut),
    test: task.examples("test").map(cut),
  });
}
