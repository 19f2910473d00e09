import { GptModel, saveCheckpoint } from "@rlts/backend-tfjs";
import type { InferencePolicy, RngState } from "@rlts/core";
import type { PromptIteratorState } from "@rlts/env";
import type { GrpoConfig } from "../config/schema.js";
import type { ModelMetadata } from "./model-io.js";
import { checkpointPath, pruneCheckpoints } from "./run-files.js";

/** What a trainer checkpoint carries to resume exactly: the step, RNG streams and prompt position. */
export interface TrainerState {
  readonly version: 1;
  readonly step: number;
  readonly sampleRng: RngState;
  readonly shuffleRng: RngState;
  readonly prompts: PromptIteratorState;
  /** Whether a `.ref.ckpt` (the reference) and a `.sampler.ckpt` (a lagging sampler) sit beside it. */
  readonly hasReference: boolean;
  readonly hasSampler: boolean;
}

/** The trainer state in a checkpoint's metadata, if it is a GRPO run checkpoint. */
export function trainerStateOf(metadata: ModelMetadata): TrainerState | undefined {
  return (metadata as ModelMetadata & { trainer?: TrainerState }).trainer;
}

/** What {@link writeTrainerCheckpoint} saves. */
export interface CheckpointContents {
  readonly runDir: string;
  readonly step: number;
  readonly policy: GptModel;
  readonly metadata: Omit<ModelMetadata, "trainer">;
  readonly state: Omit<TrainerState, "version" | "step" | "hasReference" | "hasSampler">;
  readonly reference: InferencePolicy | undefined;
  /** The sampler, when its weights can differ from the policy's (v > 1, overlap). */
  readonly sampler: InferencePolicy | undefined;
  readonly keep: number;
}

/**
 * Writes the trainer checkpoint of a step: the policy with AdamW state and the resume state, plus the
 * reference and a lagging sampler when they differ from the policy. Companion files are written first
 * and the main file last, each atomically, so the newest main file always has its companions. Keeps
 * the newest `keep` checkpoints. Returns the main file's path.
 */
export async function writeTrainerCheckpoint(c: CheckpointContents): Promise<string> {
  const save = async (engine: InferencePolicy, part: "ref" | "sampler") => {
    const copy = new GptModel({ ...c.policy.config });
    try {
      copy.setWeights(await engine.getWeights(), `${part} weights`);
      await saveCheckpoint(checkpointPath(c.runDir, c.step, part), copy, { step: c.step });
    } finally {
      copy.dispose();
    }
  };
  if (c.reference) await save(c.reference, "ref");
  if (c.sampler) await save(c.sampler, "sampler");
  const trainer: TrainerState = {
    version: 1,
    step: c.step,
    ...c.state,
    hasReference: c.reference !== undefined,
    hasSampler: c.sampler !== undefined,
  };
  const path = checkpointPath(c.runDir, c.step);
  await saveCheckpoint(path, c.policy, { step: c.step, metadata: { ...c.metadata, trainer } });
  await pruneCheckpoints(c.runDir, c.keep);
  return path;
}

/** The config and folder a checkpoint records, so `rlts eval` can rebuild the task and reward. */
export function checkpointMetadata(
  policy: GptModel,
  tokenizer: { toJSON(): ModelMetadata["tokenizer"] },
  config: GrpoConfig,
  baseDir: string,
): Omit<ModelMetadata, "trainer"> {
  return { format: "rlts-gpt", model: policy.config, tokenizer: tokenizer.toJSON(), config, baseDir };
}
