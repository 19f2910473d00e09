import { getRegistry } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { type ArithmeticTaskOptions, createArithmeticTask } from "./arithmetic-task.js";
import { type JsonlTaskOptions, loadJsonlTask } from "./jsonl-task.js";
import { registerClassicControl } from "./make-env.js";

/**
 * Adds this package's plugins of kind `env`: the classic-control ids (`CartPole-v1`, `Acrobot-v1`,
 * `MountainCar-v0`, `Pendulum-v1`, built with their standard wrappers) and two prompt tasks,
 * `jsonl-prompts` (options: {@link JsonlTaskOptions}) and `synthetic-arithmetic`
 * ({@link ArithmeticTaskOptions}). Tell them apart with `isEnv` / `isPromptTask`.
 */
export function register(container: DependencyContainer): void {
  registerClassicControl(container);
  const registry = getRegistry(container);
  registry.register("env", "jsonl-prompts", (options) => loadJsonlTask(options as JsonlTaskOptions), {
    description: "prompt task from JSONL files (GSM8K format by default)",
  });
  registry.register(
    "env",
    "synthetic-arithmetic",
    (options) => createArithmeticTask(options as ArithmeticTaskOptions),
    { description: "seeded arithmetic problems with exact integer answers and worked solutions" },
  );
}
