import { assertInteger, ConfigError } from "@rlts/core";

/** Shape of a GPT-style language model (backend-tfjs `GptModel`, backend-onnx `OnnxGpt`). */
export interface GptConfig {
  /** Number of token ids. */
  readonly vocabSize: number;
  /** Longest sequence the position embedding covers. */
  readonly contextLength: number;
  /** Width of the residual stream. */
  readonly dModel: number;
  /** Number of transformer blocks. */
  readonly nLayers: number;
  /** Attention heads; must divide dModel. */
  readonly nHeads: number;
  /** Hidden width of each MLP. Default 4·dModel. */
  readonly dFF?: number;
  /** Use wteᵀ as the output projection instead of a separate `head.w`. Default false. */
  readonly tieEmbeddings?: boolean;
}

/** A {@link GptConfig} with every field filled in (what {@link resolveGptConfig} returns). */
export type FullGptConfig = Required<GptConfig>;

/**
 * Validates a GPT config and fills in its defaults (dFF = 4·dModel, tieEmbeddings = false). Errors
 * are `ConfigError`s naming `model.<field>`. Fields other than those of {@link GptConfig} are ignored,
 * so a model's options object can be passed as it is.
 */
export function resolveGptConfig(config: GptConfig): FullGptConfig {
  if (config == null || typeof config !== "object") {
    throw new ConfigError("model", config, "pass { vocabSize, contextLength, dModel, nLayers, nHeads }");
  }
  assertInteger("model.vocabSize", config.vocabSize, 2);
  assertInteger("model.contextLength", config.contextLength, 1);
  assertInteger("model.dModel", config.dModel, 1);
  assertInteger("model.nLayers", config.nLayers, 0);
  assertInteger("model.nHeads", config.nHeads, 1);
  if (config.dModel % config.nHeads !== 0) {
    throw new ConfigError("model.nHeads", config.nHeads, `use a divisor of dModel (${config.dModel})`);
  }
  const dFF = config.dFF ?? 4 * config.dModel;
  assertInteger("model.dFF", dFF, 1);
  return {
    vocabSize: config.vocabSize,
    contextLength: config.contextLength,
    dModel: config.dModel,
    nLayers: config.nLayers,
    nHeads: config.nHeads,
    dFF,
    tieEmbeddings: config.tieEmbeddings ?? false,
  };
}
