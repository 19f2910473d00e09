import {
  ConfigError,
  type GenerateRequest,
  type GenerateResult,
  type InferencePolicy,
  type ScoreRequest,
  type ScoreResult,
  type SequenceSampler,
  type SequenceScorer,
  ShapeError,
  StateError,
  type Weights,
} from "@rlts/core";
import {
  checkScoreTemperature,
  type DecodeSteps,
  type FullGptConfig,
  type GptConfig,
  generateCompletions,
  type LogitRows,
  logSoftmax64,
  resolveGptConfig,
  temperatureScaled,
} from "@rlts/lm";
import type * as ort from "onnxruntime-node";
import { checkWeights, exportGpt, GPT_CONFIG_KEY, GPT_KV_CACHE_KEY, gptWeightShapes } from "./gpt-export.js";
import {
  decodeOnnxModel,
  extractStoredWeights,
  type OnnxModelFile,
  OnnxModelFileError,
  readOnnxModelFile,
} from "./model-file.js";
import { createSession, floatTensor, int64Tensor, type SessionOptions } from "./session.js";

/** Options of {@link OnnxGpt}: onnxruntime session settings. */
export type OnnxGptOptions = SessionOptions;

/** Paths of the two exported GPT graphs (see {@link exportGpt}). */
export interface GptModelFiles {
  /** The full-sequence graph (no KV cache): scoring and long-context fallback. */
  readonly full: string;
  /** The KV-cache decode graph: prefill and incremental decoding. */
  readonly decode: string;
}

/** Smallest opset of a GPT file: LayerNormalization is an ai.onnx operator from opset 17. */
const GPT_MIN_OPSET = 17;

function gptFile(file: OnnxModelFile, kvCache: boolean): FullGptConfig {
  const json = file.metadata[GPT_CONFIG_KEY];
  if (!json) {
    throw new OnnxModelFileError(
      file.file,
      `no "${GPT_CONFIG_KEY}" metadata: not a GPT exported by exportGpt from @rlts/backend-onnx`,
    );
  }
  if (file.metadata[GPT_KV_CACHE_KEY] !== String(kvCache)) {
    throw new OnnxModelFileError(
      file.file,
      kvCache
        ? "it is the full-sequence graph; pass the KV-cache graph (exportGpt(config, { kvCache: true })) as decode"
        : "it is the KV-cache graph; pass the full-sequence graph (exportGpt(config)) as full",
    );
  }
  return resolveGptConfig(JSON.parse(json) as GptConfig);
}

/**
 * The rollout engine for a backend-tfjs GPT on onnxruntime-node: scoring (`SequenceScorer`), batched
 * sampling with a KV cache (`SequenceSampler`) and weight sync (`WeightReceiver`). Weights are graph
 * inputs, so {@link setWeights} after an optimiser step only swaps the feeds: no file, no re-export.
 *
 * Generation left-pads the prompts of a batch to the longest one: column c of the KV cache holds the
 * same step for every sequence, padding columns are masked out by `attention_mask`, and each token's
 * `position_ids` entry is its index in its own sequence (pads get 0). Every step feeds one new token per
 * sequence, so all sequences of the batch share one cache tensor per layer; finished sequences feed
 * `<pad>` at a masked column until they are half the batch, when their rows are dropped. The draws are
 * `@rlts/lm`'s decode loop (`generateCompletions`, which backend-tfjs's `GptModel.generate` runs too),
 * so a seed gives the same tokens on both engines when the logits agree.
 */
export class OnnxGpt implements InferencePolicy {
  private feeds: Record<string, ort.Tensor> = {};
  private disposed = false;
  private readonly shapes: [string, number[]][];

  private constructor(
    /** The model's shape. */
    readonly config: FullGptConfig,
    private readonly full: ort.InferenceSession,
    private readonly decode: ort.InferenceSession,
    private weightsReady: boolean,
  ) {
    this.shapes = gptWeightShapes(config);
  }

  /**
   * Exports both graphs in memory and opens them, with `weights` (e.g. `gptModel.getWeights()`) as the
   * first feeds. Nothing is written to disk.
   */
  static async create(config: GptConfig, weights: Weights, options: OnnxGptOptions = {}): Promise<OnnxGpt> {
    const cfg = resolveGptConfig(config);
    checkWeights("weights", weights, gptWeightShapes(cfg));
    const full = await createSession("<exportGpt full>", exportGpt(cfg), options);
    const decode = await createSession("<exportGpt kvCache>", exportGpt(cfg, { kvCache: true }), options);
    const model = new OnnxGpt(cfg, full, decode, false);
    model.setWeights(weights);
    return model;
  }

  /**
   * Opens the two graph files written from {@link exportGpt}. Weights stored in the files (export with
   * `weights`) are used until {@link setWeights} replaces them; files without weights need
   * `setWeights` before the first call. Missing, truncated and wrong-opset files throw
   * `OnnxModelFileError` naming the file.
   */
  static async fromFiles(files: GptModelFiles, options: OnnxGptOptions = {}): Promise<OnnxGpt> {
    if (files == null || typeof files.full !== "string" || typeof files.decode !== "string") {
      throw new ConfigError("files", files, "pass { full: path, decode: path } of exportGpt output files");
    }
    const fullFile = readOnnxModelFile(files.full, { minOpset: GPT_MIN_OPSET });
    const decodeFile = readOnnxModelFile(files.decode, { minOpset: GPT_MIN_OPSET });
    return OnnxGpt.open(fullFile, decodeFile, options);
  }

  /** Like {@link fromFiles} for bytes already in memory (`names` label them in errors). */
  static async fromBytes(
    full: Uint8Array,
    decode: Uint8Array,
    options: OnnxGptOptions = {},
    names = { full: "<full bytes>", decode: "<decode bytes>" },
  ): Promise<OnnxGpt> {
    const fullFile = decodeOnnxModel(names.full, full, { minOpset: GPT_MIN_OPSET });
    const decodeFile = decodeOnnxModel(names.decode, decode, { minOpset: GPT_MIN_OPSET });
    return OnnxGpt.open(fullFile, decodeFile, options);
  }

  private static async open(fullFile: OnnxModelFile, decodeFile: OnnxModelFile, options: OnnxGptOptions) {
    const cfg = gptFile(fullFile, false);
    const cfgDecode = gptFile(decodeFile, true);
    if (JSON.stringify(cfg) !== JSON.stringify(cfgDecode)) {
      throw new OnnxModelFileError(
        decodeFile.file,
        `its GPT config ${JSON.stringify(cfgDecode)} differs from ${fullFile.file}'s ${JSON.stringify(cfg)}`,
      );
    }
    const shapes = gptWeightShapes(cfg);
    const names = shapes.map(([n]) => n);
    const full = extractStoredWeights(fullFile, names);
    const decode = extractStoredWeights(decodeFile, names);
    const stored = full.weights.size > 0 ? full.weights : decode.weights;
    const fullSession = await createSession(fullFile.file, full.bytes, options);
    const decodeSession = await createSession(decodeFile.file, decode.bytes, options).catch(async (error) => {
      await fullSession.release();
      throw error;
    });
    const model = new OnnxGpt(cfg, fullSession, decodeSession, false);
    if (stored.size > 0) {
      try {
        model.setWeights(stored);
      } catch (error) {
        await model.dispose();
        const file = full.weights.size > 0 ? fullFile.file : decodeFile.file;
        throw new OnnxModelFileError(
          file,
          `its stored weights do not fit its config: ${(error as Error).message}`,
        );
      }
    }
    return model;
  }

  /**
   * Replaces the weights (weight sync after an optimiser step). Checks every name and shape, copies the
   * data (so later changes to the caller's arrays do not leak in) and makes them the next feeds.
   */
  setWeights(weights: Weights): void {
    this.assertLive();
    const checked = checkWeights("weights", weights, this.shapes);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, shape] of this.shapes)
      feeds[name] = floatTensor(checked.get(name)!.data.slice(), shape);
    this.feeds = feeds;
    this.weightsReady = true;
  }

  /**
   * The weights it samples with: read-only views of its feeds (no copy; {@link setWeights} replaces
   * the feeds rather than writing into them, so a view stays what it was when taken).
   */
  getWeights(): Weights {
    this.weightFeeds();
    return new Map(
      this.shapes.map(
        ([name, shape]) => [name, { shape, data: this.feeds[name].data as Float32Array }] as const,
      ),
    );
  }

  /**
   * Raw logits of the full-sequence graph for right-padded `sequences` (each ≤ contextLength):
   * `result[i][p]` is the next-token row after prefix `sequences[i][0..p]`.
   */
  async logits(sequences: readonly Int32Array[]): Promise<Float32Array[][]> {
    this.assertLive();
    sequences.forEach((s, i) => {
      this.checkTokens(`sequences[${i}]`, s);
      if (s.length === 0) throw new ConfigError(`sequences[${i}]`, s, "use a sequence of at least one token");
      if (s.length > this.config.contextLength) {
        throw new ShapeError(
          `sequences[${i}].length`,
          `at most contextLength = ${this.config.contextLength}`,
          `${s.length}`,
        );
      }
    });
    const data = await this.runFull(sequences);
    const V = this.config.vocabSize;
    const T = Math.max(...sequences.map((s) => s.length));
    return sequences.map((s, b) =>
      Array.from({ length: s.length }, (_, p) => data.slice((b * T + p) * V, (b * T + p + 1) * V)),
    );
  }

  private async runFull(sequences: readonly Int32Array[]): Promise<Float32Array> {
    const B = sequences.length;
    const T = Math.max(...sequences.map((s) => s.length));
    const ids = new Int32Array(B * T);
    const pos = new Int32Array(B * T);
    const mask = new Int32Array(B * T);
    sequences.forEach((s, b) => {
      ids.set(s, b * T);
      for (let t = 0; t < T; t++) {
        pos[b * T + t] = t;
        mask[b * T + t] = t < s.length ? 1 : 0;
      }
    });
    const out = await this.full.run({
      ...this.weightFeeds(),
      input_ids: int64Tensor(ids, [B, T]),
      position_ids: int64Tensor(pos, [B, T]),
      attention_mask: int64Tensor(mask, [B, T]),
    });
    return out.logits.data as Float32Array;
  }

  /**
   * Per-token log-probs (and entropies with `entropy: true`) of given sequences (the reference model),
   * under softmax(z/T) for `request.temperature` T (default 1).
   */
  async score(request: ScoreRequest): Promise<ScoreResult> {
    this.assertLive();
    const { sequences, start } = request;
    const temperature = checkScoreTemperature(request.temperature);
    if (!Array.isArray(sequences) || sequences.length === 0) {
      throw new ConfigError("sequences", sequences, "pass at least one token sequence");
    }
    if (!Array.isArray(start) || start.length !== sequences.length) {
      throw new ShapeError("start", `${sequences.length} entries (one per sequence)`, `${start?.length}`);
    }
    sequences.forEach((seq, i) => {
      this.checkTokens(`sequences[${i}]`, seq);
      const s = start[i];
      if (!Number.isInteger(s) || s < 1 || s > seq.length) {
        throw new ConfigError(
          `start[${i}]`,
          s,
          `use a whole number in [1, ${seq.length}] (the first scored token needs a prefix)`,
        );
      }
    });
    const rows = await this.logits(sequences);
    const logprobs: Float32Array[] = [];
    const entropy: Float32Array[] = [];
    sequences.forEach((seq, i) => {
      const n = seq.length - start[i];
      const lp = new Float32Array(n);
      const en = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const p = start[i] + k;
        // Token p is predicted by the logits after prefix seq[0..p−1], i.e. row p − 1.
        // log softmax(z/T), as the training engine scores (TRL divides logits by the temperature).
        const logp = logSoftmax64(temperatureScaled(rows[i][p - 1], temperature));
        lp[k] = logp[seq[p]];
        if (request.entropy) {
          let h = 0;
          for (let v = 0; v < logp.length; v++) h -= Math.exp(logp[v]) * logp[v];
          en[k] = h;
        }
      }
      logprobs.push(lp);
      entropy.push(en);
    });
    return request.entropy ? { logprobs, entropy } : { logprobs };
  }

  /**
   * Samples completions with batched prefill and incremental KV-cache decoding, through `@rlts/lm`'s
   * decode loop (the order of the draws, stop tokens, the result). Prompts longer than the context
   * keep their last `contextLength` tokens; once a sequence would pass the context the remaining
   * steps recompute each window with the full graph (backend-tfjs's crop), so results match.
   */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertLive();
    return generateCompletions(request, this.config.vocabSize, this.decodeSteps());
  }

  /** The logits {@link generate} samples from: a KV cache over the decode graph, the full graph past the context. */
  private decodeSteps(): DecodeSteps {
    const C = this.config.contextLength;
    const V = this.config.vocabSize;
    const { nLayers: L, nHeads: H, dModel: d } = this.config;
    const dh = d / H;
    // The cache holds every token ever fed: the padded prompts, then one column per later step. Its
    // shape stays [rows, H, capacity, dh]; columns not yet written are masked out by attention_mask.
    // Row r holds prompt live[r]; rows of finished prompts are dropped once they are half the batch.
    // Everything is sized by prefill.
    let capacity = 0;
    let rowSize = 0;
    let R = 0;
    let live: number[] = [];
    let rowIndex = new Int32Array(0);
    let nextPos = new Int32Array(0);
    let cacheMask = new Int32Array(0);
    let caches: Float32Array[] = [];
    let past: Record<string, ort.Tensor> = {};
    let column = 0;
    let cached = true;
    const bindPast = () => {
      past = {};
      for (let l = 0; l < L; l++) {
        past[`past_key.${l}`] = floatTensor(caches[2 * l], [R, H, capacity, dh]);
        past[`past_value.${l}`] = floatTensor(caches[2 * l + 1], [R, H, capacity, dh]);
      }
    };
    const runDecode = async (
      stepIds: Int32Array,
      stepPos: Int32Array,
      stepMask: Int32Array,
      T: number,
      column: number,
    ) => {
      const maskFeed = new Int32Array(R * (capacity + T));
      for (let r = 0; r < R; r++) {
        maskFeed.set(cacheMask.subarray(r * capacity, (r + 1) * capacity), r * (capacity + T));
        maskFeed.set(stepMask.subarray(r * T, (r + 1) * T), r * (capacity + T) + capacity);
      }
      const result = await this.decode.run({
        ...this.weightFeeds(),
        ...past,
        input_ids: int64Tensor(stepIds, [R, T]),
        position_ids: int64Tensor(stepPos, [R, T]),
        attention_mask: int64Tensor(maskFeed, [R, capacity + T]),
      });
      // Append this call's keys and values to the cache (the past of the next call).
      const written = Math.min(T, capacity - column);
      for (let l = 0; l < L; l++) {
        for (const [c, kind] of [
          [2 * l, "key"],
          [2 * l + 1, "value"],
        ] as const) {
          const fresh = result[`new_${kind}.${l}`].data as Float32Array;
          const cache = caches[c];
          for (let rh = 0; rh < R * H; rh++) {
            for (let t = 0; t < written; t++) {
              const from = (rh * T + t) * dh;
              cache.set(fresh.subarray(from, from + dh), (rh * capacity + column + t) * dh);
            }
          }
        }
      }
      for (let r = 0; r < R; r++) {
        for (let t = 0; t < written; t++) cacheMask[r * capacity + column + t] = stepMask[r * T + t];
      }
      return result.logits.data as Float32Array;
    };
    /** Drops the rows of finished prompts from the cache, keeping the others in prompt order. */
    const compact = (stopped: readonly boolean[]) => {
      const keep = live.filter((b) => !stopped[b]);
      const nextCaches = caches.map(() => new Float32Array(keep.length * rowSize));
      const nextMask = new Int32Array(keep.length * capacity);
      keep.forEach((b, r) => {
        const old = rowIndex[b];
        caches.forEach((cache, c) => {
          nextCaches[c].set(cache.subarray(old * rowSize, (old + 1) * rowSize), r * rowSize);
        });
        nextMask.set(cacheMask.subarray(old * capacity, (old + 1) * capacity), r * capacity);
      });
      keep.forEach((b, r) => {
        rowIndex[b] = r;
      });
      caches = nextCaches;
      cacheMask = nextMask;
      live = keep;
      R = keep.length;
      bindPast();
    };
    return {
      prefill: async (prompts, maxNewTokens): Promise<LogitRows> => {
        // Left-pad the (cropped) prompts to the longest and run them all at once.
        const B = prompts.length;
        const windows = prompts.map((p) => (p.length > C ? p.slice(p.length - C) : p));
        const Lmax = Math.max(...windows.map((w) => w.length));
        const ids = new Int32Array(B * Lmax);
        const pos = new Int32Array(B * Lmax);
        const mask = new Int32Array(B * Lmax);
        nextPos = new Int32Array(B);
        windows.forEach((w, b) => {
          const offset = Lmax - w.length;
          ids.set(w, b * Lmax + offset);
          for (let t = 0; t < w.length; t++) {
            pos[b * Lmax + offset + t] = t;
            mask[b * Lmax + offset + t] = 1;
          }
          nextPos[b] = w.length;
        });
        capacity = Lmax + maxNewTokens - 1;
        rowSize = H * capacity * dh;
        R = B;
        live = Array.from({ length: B }, (_, b) => b);
        rowIndex = Int32Array.from(live);
        cacheMask = new Int32Array(B * capacity);
        caches = Array.from({ length: 2 * L }, () => new Float32Array(B * rowSize));
        bindPast();
        const logits = await runDecode(ids, pos, mask, Lmax, 0);
        column = Lmax;
        return windows.map((_, b) => logits.subarray((b * Lmax + Lmax - 1) * V, (b * Lmax + Lmax) * V));
      },
      extend: async (sequences, active): Promise<LogitRows> => {
        const stopped = sequences.map(() => true);
        for (const b of active) stopped[b] = false;
        if (cached && nextPos.some((p, b) => !stopped[b] && p >= C)) cached = false;
        // Past the context: recompute the cropped windows of the unfinished sequences (no cache).
        if (!cached) return this.lastLogits(active.map((b) => Int32Array.from(sequences[b])));
        if (2 * active.length <= R) compact(stopped);
        // Finished sequences still in the batch feed <pad> at a masked column; their outputs are unread.
        const stepIds = new Int32Array(R);
        const stepPos = new Int32Array(R);
        const stepMask = new Int32Array(R);
        live.forEach((b, r) => {
          if (stopped[b]) return;
          const seq = sequences[b];
          stepIds[r] = seq[seq.length - 1];
          stepPos[r] = nextPos[b]++;
          stepMask[r] = 1;
        });
        const logits = await runDecode(stepIds, stepPos, stepMask, 1, column);
        column++;
        return active.map((b) => logits.subarray(rowIndex[b] * V, (rowIndex[b] + 1) * V));
      },
      release: () => {
        caches = [];
        past = {};
      },
    };
  }

  /** Next-token logits after each sequence, cropped to the last `contextLength` tokens (backend-tfjs `lastLogits`). */
  async lastLogits(sequences: readonly Int32Array[]): Promise<Float32Array[]> {
    const C = this.config.contextLength;
    const windows = sequences.map((s) => (s.length > C ? s.subarray(s.length - C) : s));
    const rows = await this.logits(windows);
    return rows.map((r) => r[r.length - 1]);
  }

  private weightFeeds(): Record<string, ort.Tensor> {
    if (!this.weightsReady) {
      throw new StateError(
        "OnnxGpt: the model files hold no weights; call setWeights(model.getWeights()) first",
      );
    }
    return this.feeds;
  }

  private checkTokens(field: string, seq: ArrayLike<number>): void {
    if (!(seq instanceof Int32Array) && !Array.isArray(seq)) {
      throw new ConfigError(field, seq, "use an Int32Array of token ids");
    }
    const V = this.config.vocabSize;
    for (let i = 0; i < seq.length; i++) {
      const t = seq[i] as number;
      if (!Number.isInteger(t) || t < 0 || t >= V)
        throw new ConfigError(`${field}[${i}]`, t, `use token ids in [0, ${V - 1}]`);
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new StateError("OnnxGpt: used after dispose()");
  }

  /** Releases both onnxruntime sessions. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.feeds = {};
    await Promise.all([this.full.release(), this.decode.release()]);
  }

  /** Whether {@link dispose} has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }
}
