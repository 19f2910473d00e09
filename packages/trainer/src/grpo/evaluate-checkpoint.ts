import { selectEngine } from "@rlts/backend-tfjs";
import { ConfigError } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { parseConfig } from "../config/load-config.js";
import type { GrpoConfig } from "../config/schema.js";
import { createReward, createRunContainer, createTask } from "./build-run.js";
import { evaluateGreedyAccuracy, type GrpoEvaluation } from "./evaluation.js";
import { loadModelCheckpoint } from "./model-io.js";

/** Options of {@link evaluateCheckpoint}. */
export interface EvaluateCheckpointOptions {
  /** The run config (task, reward, prompt template, maxNewTokens). Default: the one saved in the checkpoint. */
  readonly config?: GrpoConfig;
  /** Folder the config's relative paths resolve against. Default: the one saved with it, else the working directory. */
  readonly baseDir?: string;
  /** Split to evaluate. Default `"test"`. */
  readonly split?: "train" | "test";
  /** Evaluate the first `limit` examples. Default: all. */
  readonly limit?: number;
  /** Prompts per generation call. Default 32. */
  readonly batchSize?: number;
  /** Label of the evaluation (e.g. `"base"`, `"final"`). Default `"step <n>"`. */
  readonly label?: string;
  /** Registers more plugins into the container (rewards the config names that are not in `plugins:`). */
  readonly register?: (container: DependencyContainer) => void | Promise<void>;
  readonly log?: (message: string) => void;
}

/**
 * Greedy accuracy of a checkpoint (a trainer checkpoint, or a base model with `options.config`) on a
 * split of the config's task, per reward component: the fraction of examples each scores above 0.
 */
export async function evaluateCheckpoint(
  path: string,
  options: EvaluateCheckpointOptions = {},
): Promise<GrpoEvaluation> {
  const loaded = await loadModelCheckpoint(path, { field: "checkpoint" });
  try {
    const saved = loaded.metadata.config;
    const config =
      options.config ?? (saved === undefined ? undefined : parseConfig(saved, `${path} (saved config)`));
    if (!config) {
      throw new ConfigError(
        "config",
        undefined,
        `${path} holds no run config (a base model); pass one with --config <config.yaml>`,
      );
    }
    const baseDir =
      options.baseDir ??
      (typeof loaded.metadata.baseDir === "string" ? loaded.metadata.baseDir : process.cwd());
    await selectEngine({ prefer: config.engine.prefer, log: options.log });
    const container = await createRunContainer(config, baseDir, options.register);
    try {
      const task = createTask(container, config, baseDir);
      const reward = createReward(container, config);
      return await evaluateGreedyAccuracy({
        model: loaded.model,
        tokenizer: loaded.tokenizer,
        task,
        reward,
        template: config.prompt.template,
        maxNewTokens: config.rollout.maxNewTokens,
        split: options.split ?? "test",
        limit: options.limit,
        batchSize: options.batchSize,
        label: options.label ?? `step ${loaded.step}`,
        step: loaded.step,
      });
    } finally {
      await container.dispose();
    }
  } finally {
    loaded.model.dispose();
  }
}
