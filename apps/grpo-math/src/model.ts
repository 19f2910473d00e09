import type { AdamWOptions } from "@rlts/backend-tfjs";
import { loadModelCheckpoint, type ModelBundle, type ModelMetadata } from "@rlts/trainer";

/**
 * The base model's shape: 2 layers of width 64 (≈ 110k parameters; the checkpoint with its AdamW
 * moments is 1.4 MB) and a 64-token context, enough for a question and its worked answer.
 */
export const modelDefaults = {
  contextLength: 64,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
} as const;

/** A model and its tokenizer, loaded from a checkpoint written by the warm-up or the trainer. */
export interface LoadedModel extends ModelBundle {
  readonly metadata: ModelMetadata;
}

/**
 * Loads a checkpoint in the trainer's model format (`saveModelCheckpoint`: weights, GPT shape and
 * tokenizer). `optimizer` sets up AdamW for further training.
 */
export async function loadModel(path: string, optimizer?: AdamWOptions): Promise<LoadedModel> {
  const { model, tokenizer, metadata } = await loadModelCheckpoint(path, { optimizer, field: "checkpoint" });
  return { model, tokenizer, metadata };
}
