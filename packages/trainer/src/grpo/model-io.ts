import {
  type AdamWOptions,
  CharTokenizer,
  type CharTokenizerJson,
  type GptConfig,
  GptModel,
  loadCheckpoint,
  readCheckpointManifest,
  saveCheckpoint,
} from "@rlts/backend-tfjs";
import { ConfigError, type Rng } from "@rlts/core";

/** What a model checkpoint of this package carries besides tensors: enough to rebuild the model. */
export interface ModelMetadata {
  readonly format: "rlts-gpt";
  readonly model: Required<GptConfig>;
  readonly tokenizer: CharTokenizerJson;
  /** Anything else the writer attached (the trainer's resume state, the app's warm-up stats). */
  readonly [key: string]: unknown;
}

/** A model with its tokenizer. */
export interface ModelBundle {
  readonly model: GptModel;
  readonly tokenizer: CharTokenizer;
}

function isModelMetadata(value: unknown): value is ModelMetadata {
  const v = value as Partial<ModelMetadata> | null;
  return v?.format === "rlts-gpt" && typeof v.model === "object" && typeof v.tokenizer === "object";
}

/**
 * Saves a GPT with its tokenizer in one atomic checkpoint file (weights, AdamW state, the GPT shape and
 * the tokenizer in the manifest's metadata), the format `model.checkpoint` and `rlts eval` read. A
 * supervised warm-up writes its base model with this.
 */
export async function saveModelCheckpoint(
  path: string,
  bundle: ModelBundle,
  options: { readonly step?: number; readonly rng?: Rng; readonly extra?: Record<string, unknown> } = {},
): Promise<void> {
  const metadata: ModelMetadata = {
    ...options.extra,
    format: "rlts-gpt",
    model: bundle.model.config,
    tokenizer: bundle.tokenizer.toJSON(),
  };
  await saveCheckpoint(path, bundle.model, { step: options.step ?? 0, rng: options.rng, metadata });
}

/** The metadata of a checkpoint written by {@link saveModelCheckpoint}; throws naming `field` otherwise. */
export async function readModelMetadata(path: string, field = "model.checkpoint"): Promise<ModelMetadata> {
  let manifest: Awaited<ReturnType<typeof readCheckpointManifest>>;
  try {
    manifest = await readCheckpointManifest(path);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw new ConfigError(field, path, "file not found; give the path of a checkpoint (.ckpt) file");
    }
    throw error;
  }
  if (!isModelMetadata(manifest.metadata)) {
    throw new ConfigError(
      field,
      path,
      "this checkpoint has no GPT shape and tokenizer in its metadata; write it with saveModelCheckpoint",
    );
  }
  return manifest.metadata;
}

/**
 * Loads a checkpoint written by {@link saveModelCheckpoint} into a new model (with `optimizer` options)
 * and returns it with its tokenizer, the saved step and metadata.
 */
export async function loadModelCheckpoint(
  path: string,
  options: { readonly optimizer?: AdamWOptions; readonly field?: string } = {},
): Promise<ModelBundle & { readonly step: number; readonly metadata: ModelMetadata; readonly rng?: Rng }> {
  const metadata = await readModelMetadata(path, options.field);
  const model = new GptModel({ ...metadata.model, optimizer: options.optimizer });
  try {
    const loaded = await loadCheckpoint(path, model);
    return {
      model,
      tokenizer: CharTokenizer.fromJSON(metadata.tokenizer),
      step: loaded.step,
      metadata,
      rng: loaded.rng,
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
