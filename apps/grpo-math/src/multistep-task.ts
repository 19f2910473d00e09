import { type ArithmeticTaskOptions, createArithmeticTask, InMemoryPromptTask } from "@rlts/env";

/** Options of the `arithmetic-multistep` prompt task: the arithmetic task's options plus a step floor. */
export interface MultistepTaskOptions extends ArithmeticTaskOptions {
  /** Training problems with fewer operations are left out. Default 2. */
  readonly minTrainSteps?: number;
}

/**
 * The synthetic arithmetic task with its training split restricted to problems of at least
 * `minTrainSteps` operations; the test split is the task's own, so it still never repeats a training
 * question. With one-digit operands the one-operation questions (a few hundred) fill about 40 % of the
 * training split and the base model already answers them, so GRPO groups on them all score alike and
 * carry no signal; the test split is almost all two- and three-step problems.
 */
export function createMultistepTask(options: MultistepTaskOptions = {}): InMemoryPromptTask {
  const { minTrainSteps = 2, ...arithmetic } = options;
  const task = createArithmeticTask(arithmetic);
  return new InMemoryPromptTask("arithmetic-multistep", {
    train: task.examples("train").filter((e) => Number(e.fields.steps) >= minTrainSteps),
    test: task.examples("test"),
  });
}
