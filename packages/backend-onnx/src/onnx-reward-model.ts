import { readFileSync } from "node:fs";
import {
  assertInteger,
  assertOneOf,
  ConfigError,
  NonFiniteError,
  type RewardFunction,
  type RewardInput,
  type RewardScores,
  ShapeError,
  StateError,
} from "@rlts/core";
import { CharTokenizer, type CharTokenizerJson } from "@rlts/lm";
import type * as ort from "onnxruntime-node";
import { type OnnxModelFile, readOnnxModelFile } from "./model-file.js";
import { createSession, int64Tensor, type SessionOptions } from "./session.js";

/** Turns text into token ids. */
export type TokenizeFn = (text: string) => ArrayLike<number>;

/** Options of {@link OnnxRewardModel} (the `onnx-reward-model` reward plugin). */
export interface OnnxRewardModelOptions extends SessionOptions {
  /** Path of the ONNX model: token ids int64 [B, T] (+ optional attention mask) → score [B] or [B, 1]. */
  readonly path: string;
  /**
   * How text becomes ids: a `CharTokenizer` (`@rlts/lm`, also exported by backend-tfjs), its JSON (`tokenizer.toJSON()`), the path of
   * that JSON, or a function.
   */
  readonly tokenizer: CharTokenizer | CharTokenizerJson | TokenizeFn | string;
  /** What is scored: the completion alone or prompt + completion. Default "prompt+completion". */
  readonly input?: "completion" | "prompt+completion";
  /** Metric name. Default "onnx-reward-model". */
  readonly name?: string;
  /** Id that right-pads shorter sequences of a batch. Default 0 (`<pad>`). */
  readonly padId?: number;
  /** Keep only the last `maxLength` ids of each text; 0 keeps all. Default 0. */
  readonly maxLength?: number;
  /** Inputs per run. Default 32. */
  readonly batchSize?: number;
  /** Name of the ids input. Default: the model's first input. */
  readonly idsInput?: string;
  /** Name of the attention-mask input (int64, 1 = token, 0 = pad). Default: `attention_mask` if the model has it. */
  readonly maskInput?: string;
  /** Name of the score output. Default: the model's first output. */
  readonly output?: string;
}

/** Defaults of {@link OnnxRewardModelOptions}. */
export const onnxRewardModelDefaults = {
  input: "prompt+completion" as "completion" | "prompt+completion",
  name: "onnx-reward-model",
  padId: 0,
  maxLength: 0,
  batchSize: 32,
} as const;

function tokenizerFn(value: OnnxRewardModelOptions["tokenizer"]): TokenizeFn {
  if (typeof value === "function") return value;
  if (value instanceof CharTokenizer) return (text) => value.encode(text);
  if (typeof value === "string") {
    let json: CharTokenizerJson;
    try {
      json = JSON.parse(readFileSync(value, "utf8")) as CharTokenizerJson;
    } catch (error) {
      throw new ConfigError(
        "reward.tokenizer",
        value,
        `a readable tokenizer JSON file (${(error as Error).message})`,
      );
    }
    const tok = CharTokenizer.fromJSON(json);
    return (text) => tok.encode(text);
  }
  if (value && typeof value === "object" && (value as CharTokenizerJson).type === "rlts-char-tokenizer") {
    const tok = CharTokenizer.fromJSON(value as CharTokenizerJson);
    return (text) => tok.encode(text);
  }
  throw new ConfigError(
    "reward.tokenizer",
    value,
    "pass a CharTokenizer, its toJSON() object, the path of that JSON, or a function text → ids",
  );
}

/**
 * A reward model in ONNX: tokenises each (prompt +) completion, right-pads a batch with `padId`, runs the
 * model and returns its scalar score per input. The file is read and checked when the plugin is built
 * (missing, truncated, wrong opset → `OnnxModelFileError` naming the file); the session opens on the
 * first `score` and is released by {@link dispose}.
 */
export class OnnxRewardModel implements RewardFunction {
  /** Metric name. */
  readonly name: string;
  private readonly file: OnnxModelFile;
  private readonly tokenize: TokenizeFn;
  private readonly options: Required<
    Omit<
      OnnxRewardModelOptions,
      "idsInput" | "maskInput" | "output" | "tokenizer" | "path" | "intraOpNumThreads"
    >
  >;
  private session: Promise<ort.InferenceSession> | undefined;
  private disposed = false;

  constructor(private readonly settings: OnnxRewardModelOptions) {
    if (settings == null || typeof settings.path !== "string" || settings.path.length === 0) {
      throw new ConfigError("reward.path", settings?.path, "give the path of the reward model's .onnx file");
    }
    const o = { ...onnxRewardModelDefaults, ...settings };
    assertOneOf("reward.input", o.input, ["completion", "prompt+completion"] as const);
    if (typeof o.name !== "string" || o.name.length === 0)
      throw new ConfigError("reward.name", o.name, "use a non-empty string");
    assertInteger("reward.padId", o.padId, 0);
    assertInteger("reward.maxLength", o.maxLength, 0);
    assertInteger("reward.batchSize", o.batchSize, 1);
    this.tokenize = tokenizerFn(settings.tokenizer);
    this.options = {
      input: o.input,
      name: o.name,
      padId: o.padId,
      maxLength: o.maxLength,
      batchSize: o.batchSize,
    };
    this.name = o.name;
    this.file = readOnnxModelFile(settings.path);
  }

  private open(): Promise<ort.InferenceSession> {
    this.session ??= createSession(this.file.file, this.file.bytes, this.settings);
    return this.session;
  }

  /** Scores every input; never returns NaN (a non-finite model output throws naming the input). */
  async score(inputs: readonly RewardInput[]): Promise<RewardScores> {
    if (this.disposed) throw new StateError(`${this.name}: used after dispose()`);
    if (!Array.isArray(inputs)) throw new ConfigError("inputs", inputs, "pass an array of reward inputs");
    const session = await this.open();
    const idsName = this.settings.idsInput ?? session.inputNames[0];
    const maskName =
      this.settings.maskInput ??
      (session.inputNames.includes("attention_mask") ? "attention_mask" : undefined);
    const outName = this.settings.output ?? session.outputNames[0];
    for (const [field, name] of [
      ["reward.idsInput", idsName],
      ["reward.maskInput", maskName],
    ] as const) {
      if (name !== undefined && !session.inputNames.includes(name)) {
        throw new ConfigError(field, name, `use one of the model's inputs: ${session.inputNames.join(", ")}`);
      }
    }
    if (!session.outputNames.includes(outName)) {
      throw new ConfigError(
        "reward.output",
        outName,
        `use one of the model's outputs: ${session.outputNames.join(", ")}`,
      );
    }
    const { input, maxLength, padId, batchSize } = this.options;
    const sequences = inputs.map((x, i) => {
      if (typeof x?.completion !== "string")
        throw new ConfigError(`inputs[${i}].completion`, x?.completion, "use a string");
      const text = input === "completion" ? x.completion : `${x.prompt ?? ""}${x.completion}`;
      const ids = Array.from(this.tokenize(text));
      return maxLength > 0 && ids.length > maxLength ? ids.slice(ids.length - maxLength) : ids;
    });
    const scores: number[] = [];
    for (let from = 0; from < sequences.length; from += batchSize) {
      const batch = sequences.slice(from, from + batchSize);
      const B = batch.length;
      const T = Math.max(1, ...batch.map((s) => s.length));
      const ids = new Int32Array(B * T).fill(padId);
      const mask = new Int32Array(B * T);
      batch.forEach((s, b) => {
        ids.set(s, b * T);
        mask.fill(1, b * T, b * T + s.length);
      });
      const feeds: Record<string, ort.Tensor> = { [idsName]: int64Tensor(ids, [B, T]) };
      if (maskName) feeds[maskName] = int64Tensor(mask, [B, T]);
      const out = (await session.run(feeds))[outName];
      const values = out.data as ArrayLike<number | bigint>;
      if (values.length !== B) {
        throw new ShapeError(
          `${this.name} output "${outName}"`,
          `${B} scores ([B] or [B, 1])`,
          `dims [${out.dims.join(", ")}]`,
        );
      }
      for (let b = 0; b < B; b++) {
        const v = Number(values[b]);
        if (!Number.isFinite(v)) throw new NonFiniteError(`${this.name} scores`, from + b, v);
        scores.push(v);
      }
    }
    return scores;
  }

  /** Releases the session. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const session = this.session;
    this.session = undefined;
    if (session) await (await session).release();
  }
}
