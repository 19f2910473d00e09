import {
  ConfigError,
  createRng,
  type GenerateRequest,
  type GenerateResult,
  type ScoreRequest,
  type ScoreResult,
  type SequenceSampler,
  type SequenceScorer,
  ShapeError,
} from "@rlts/core";
import {
  checkScoreTemperature,
  type DecodeSteps,
  type GptConfig,
  generateCompletions,
  resolveGptConfig,
} from "@rlts/lm";
import * as tf from "@tensorflow/tfjs-core";
import type { AdamWOptions } from "./adamw.js";
import { causalMask, fusedCausalAttention } from "./attention.js";
import { normalInit } from "./init.js";
import {
  addSameShape,
  batchMatmul,
  embedTokens,
  gatherRows,
  geluLinear,
  layerNorm,
  linear,
  matmulNoBias,
  pickLogProbs,
  softmax,
  softmaxEntropy,
  tidyValue,
} from "./ops.js";
import { stripUndefined } from "./schedule.js";
import { TrainableModel } from "./trainable.js";

/** Options of {@link GptModel}: its shape, the init seed and the optimiser. */
export interface GptOptions extends GptConfig {
  /** Seed of the weight init. Default 0. */
  readonly seed?: number;
  /** Std of the normal init (GPT-2: 0.02); residual projections get std/√(2·nLayers). Default 0.02. */
  readonly initStd?: number;
  /** AdamW and learning-rate schedule. */
  readonly optimizer?: AdamWOptions;
  /**
   * Sample with a key/value cache: the prompts run through the model once, then each new token costs
   * one position per layer instead of a forward pass over the whole sequence. Default true; false
   * recomputes every step (the reference the cache is tested against).
   */
  readonly kvCache?: boolean;
}

/** Defaults of {@link GptOptions}. */
export const gptDefaults = { seed: 0, initStd: 0.02, tieEmbeddings: false, kvCache: true } as const;

/** Per-layer keys and values of the sequences being sampled, rows [B, capacity, d] (kept tensors). */
interface KvCache {
  readonly k: tf.Tensor3D[];
  readonly v: tf.Tensor3D[];
  /** Positions the cache holds per sequence (≤ contextLength). */
  readonly capacity: number;
}

/** Differentiable per-token log-probs of a {@link ScoreRequest}, as `[B, L]` tensors. */
export interface SequenceLogProbs {
  /** `logprobs[i, k]` = log p(sequences[i][start[i] + k] | prefix); 0 where `mask` is 0. */
  readonly logprobs: tf.Tensor2D;
  /** Entropy of the next-token distribution at the same positions (when asked for); 0 where masked. */
  readonly entropy?: tf.Tensor2D;
  /** 1 for scored positions, 0 for padding. */
  readonly mask: tf.Tensor2D;
}

/**
 * A GPT-2-style causal transformer language model on tfjs variables (Radford et al. 2019; nanoGPT):
 * token + learned position embeddings, pre-LayerNorm blocks of multi-head causal self-attention and
 * a GELU MLP, a final LayerNorm and a linear head. Weight names and layouts are in the README
 * ("GPT weights"); every linear layer is y = x·W + b with W stored [in, out], row-major.
 */
export class GptModel extends TrainableModel implements SequenceScorer, SequenceSampler {
  /** The model's shape with defaults filled in. */
  readonly config: Required<GptConfig>;
  private readonly kvCache: boolean;

  constructor(options: GptOptions) {
    super(options.optimizer);
    const o = { ...gptDefaults, ...stripUndefined(options) };
    this.config = resolveGptConfig(o);
    this.kvCache = o.kvCache;
    const rng = createRng(o.seed);
    const { vocabSize: V, contextLength: C, dModel: d, nLayers: L, dFF } = this.config;
    const std = o.initStd;
    // GPT-2 scales the init of the projections that write into the residual stream by 1/√(2L).
    const residualStd = std / Math.sqrt(2 * Math.max(1, L));
    const zeros = (n: number) => new Float32Array(n);
    const ones = (n: number) => new Float32Array(n).fill(1);
    this.params.add("wte", [V, d], normalInit(rng, V * d, std));
    this.params.add("wpe", [C, d], normalInit(rng, C * d, std));
    for (let l = 0; l < L; l++) {
      const p = `blocks.${l}`;
      this.params.add(`${p}.ln1.gamma`, [d], ones(d));
      this.params.add(`${p}.ln1.beta`, [d], zeros(d));
      this.params.add(`${p}.attn.wqkv`, [d, 3 * d], normalInit(rng, d * 3 * d, std));
      this.params.add(`${p}.attn.bqkv`, [3 * d], zeros(3 * d));
      this.params.add(`${p}.attn.wo`, [d, d], normalInit(rng, d * d, residualStd));
      this.params.add(`${p}.attn.bo`, [d], zeros(d));
      this.params.add(`${p}.ln2.gamma`, [d], ones(d));
      this.params.add(`${p}.ln2.beta`, [d], zeros(d));
      this.params.add(`${p}.mlp.w1`, [d, dFF], normalInit(rng, d * dFF, std));
      this.params.add(`${p}.mlp.b1`, [dFF], zeros(dFF));
      this.params.add(`${p}.mlp.w2`, [dFF, d], normalInit(rng, dFF * d, residualStd));
      this.params.add(`${p}.mlp.b2`, [d], zeros(d));
    }
    this.params.add("lnf.gamma", [d], ones(d));
    this.params.add("lnf.beta", [d], zeros(d));
    if (!this.config.tieEmbeddings) this.params.add("head.w", [d, V], normalInit(rng, d * V, std));
    this.initOptimizer();
  }

  /**
   * Next-token logits [B·T, V] for int32 ids [B·T] (row-major [B, T], T ≤ contextLength): row b·T + t
   * predicts token t + 1 of sequence b. Differentiable; call inside a loss closure or tf.tidy.
   */
  forward(ids: tf.Tensor1D, B: number, T: number): tf.Tensor2D {
    return this.run(ids, B, T);
  }

  /** {@link forward}, optionally also returning each layer's keys and values as rows [B, T, d]. */
  private run(
    ids: tf.Tensor1D,
    B: number,
    T: number,
    kv?: { k: tf.Tensor3D[]; v: tf.Tensor3D[] },
  ): tf.Tensor2D {
    const { dModel: d, nLayers, nHeads: H } = this.config;
    if (T > this.config.contextLength) {
      throw new ShapeError("sequence length", `at most contextLength = ${this.config.contextLength}`, `${T}`);
    }
    const p = (name: string) => this.params.get(name);
    const N = B * T;
    const wpe = tf.slice(p("wpe"), [0, 0], [T, d]) as tf.Tensor2D;
    let x = embedTokens(p("wte") as tf.Tensor2D, wpe, ids);
    // On wasm the fused attention op (depthwise-convolution layouts) is several times faster.
    const fused = tf.getBackend() === "wasm";
    const mask = fused ? undefined : tf.tensor2d(causalMask(T), [T, T]);
    for (let l = 0; l < nLayers; l++) {
      const b = `blocks.${l}`;
      const h = layerNorm(x, p(`${b}.ln1.gamma`) as tf.Tensor1D, p(`${b}.ln1.beta`) as tf.Tensor1D);
      const wqkv = p(`${b}.attn.wqkv`) as tf.Tensor2D;
      const bqkv = p(`${b}.attn.bqkv`) as tf.Tensor1D;
      if (kv) {
        // For a key/value cache: k and v of every position (columns [d, 2d) and [2d, 3d) of h·wqkv + bqkv).
        const kvRows = tf.add(tf.matMul(h, tf.slice(wqkv, [0, d], [d, 2 * d])), tf.slice(bqkv, [d], [2 * d]));
        kv.k.push(tf.reshape(tf.slice(kvRows, [0, 0], [N, d]), [B, T, d]) as tf.Tensor3D);
        kv.v.push(tf.reshape(tf.slice(kvRows, [0, d], [N, d]), [B, T, d]) as tf.Tensor3D);
      }
      const y = fused
        ? fusedCausalAttention(h, wqkv, bqkv, B, T, H)
        : this.attention(h, wqkv, bqkv, B, T, mask);
      x = this.blockTail(x, b, y as tf.Tensor2D);
    }
    return this.head(x);
  }

  /**
   * The rest of block `b` after attention output y (rows [N, d], before `wo`): the residual
   * x + y·wo + bo, then x + MLP(LayerNorm(x)). Shared by the full forward pass and the cached decode step.
   */
  private blockTail(x: tf.Tensor2D, b: string, y: tf.Tensor2D): tf.Tensor2D {
    const p = (name: string) => this.params.get(name);
    x = addSameShape(x, linear(y, p(`${b}.attn.wo`) as tf.Tensor2D, p(`${b}.attn.bo`) as tf.Tensor1D));
    const h2 = layerNorm(x, p(`${b}.ln2.gamma`) as tf.Tensor1D, p(`${b}.ln2.beta`) as tf.Tensor1D);
    const hidden = linear(h2, p(`${b}.mlp.w1`) as tf.Tensor2D, p(`${b}.mlp.b1`) as tf.Tensor1D);
    return addSameShape(
      x,
      geluLinear(hidden, p(`${b}.mlp.w2`) as tf.Tensor2D, p(`${b}.mlp.b2`) as tf.Tensor1D),
    );
  }

  /** Next-token logits [N, V] of residual rows x [N, d]: final LayerNorm, then the (tied) head. */
  private head(x: tf.Tensor2D): tf.Tensor2D {
    const p = (name: string) => this.params.get(name);
    const hf = layerNorm(x, p("lnf.gamma") as tf.Tensor1D, p("lnf.beta") as tf.Tensor1D);
    const headW = this.config.tieEmbeddings
      ? (tf.transpose(p("wte")) as tf.Tensor2D)
      : (p("head.w") as tf.Tensor2D);
    return matmulNoBias(hf, headW);
  }

  /** Unfused causal self-attention (batched matmuls) for backends other than wasm; y before `wo`. */
  private attention(
    h: tf.Tensor2D,
    wqkv: tf.Tensor2D,
    bqkv: tf.Tensor1D,
    B: number,
    T: number,
    mask: tf.Tensor | undefined,
  ): tf.Tensor2D {
    const { dModel: d, nHeads: H } = this.config;
    const dh = d / H;
    const N = B * T;
    const scale = 1 / Math.sqrt(dh);
    const qkv = linear(h, wqkv, bqkv);
    // [N, 3d] = [B, T, 3H, dh] → [3H, B, T, dh]: q, k, v are then contiguous slices of the first
    // axis (head-major batches of [T, dh]); qkv columns are [q | k | v], each split into H heads.
    const heads = tf.transpose(tf.reshape(qkv, [B, T, 3 * H, dh]), [2, 0, 1, 3]);
    const part = (i: number) => tf.reshape(tf.slice(heads, [i * H, 0, 0, 0], [H, B, T, dh]), [H * B, T, dh]);
    const q = tf.mul(part(0), scale) as tf.Tensor3D;
    const kT = tf.transpose(part(1), [0, 2, 1]) as tf.Tensor3D;
    const v = part(2) as tf.Tensor3D;
    // Scaled dot-product attention (Vaswani et al. 2017 eq. 1) with the causal mask.
    const att = softmax(tf.add(batchMatmul(q, kT), mask!)) as tf.Tensor3D;
    // [H·B, T, dh] → [B, T, H, dh] → [N, d]: heads concatenated in head order.
    const y = tf.reshape(tf.transpose(tf.reshape(batchMatmul(att, v), [H, B, T, dh]), [1, 2, 0, 3]), [N, d]);
    return y as tf.Tensor2D;
  }

  /**
   * Per-token log-probs (and optionally entropies) of the scored tokens of `request`, as
   * differentiable [B, L] tensors aligned at each sequence's `start` (L = the longest scored part),
   * with a mask, under softmax(z/T) for `request.temperature` T (default 1). Call inside a loss
   * closure or tf.tidy.
   */
  sequenceLogProbs(request: ScoreRequest, options: { readonly entropy?: boolean } = {}): SequenceLogProbs {
    const { sequences, start } = request;
    if (!Array.isArray(sequences) || sequences.length === 0) {
      throw new ConfigError("sequences", sequences, "pass at least one token sequence");
    }
    const temperature = checkScoreTemperature(request.temperature);
    if (!Array.isArray(start) || start.length !== sequences.length) {
      throw new ShapeError("start", `${sequences.length} entries (one per sequence)`, `${start?.length}`);
    }
    const B = sequences.length;
    let T = 0;
    let L = 1;
    sequences.forEach((seq, i) => {
      this.checkTokens(`sequences[${i}]`, seq);
      if (seq.length > this.config.contextLength) {
        throw new ShapeError(
          `sequences[${i}].length`,
          `at most contextLength = ${this.config.contextLength}`,
          `${seq.length}`,
        );
      }
      const s = start[i];
      if (!Number.isInteger(s) || s < 1 || s > seq.length) {
        throw new ConfigError(
          `start[${i}]`,
          s,
          `use a whole number in [1, ${seq.length}] (the first scored token needs a prefix)`,
        );
      }
      T = Math.max(T, seq.length);
      L = Math.max(L, seq.length - s);
    });
    const ids = new Int32Array(B * T);
    const rows = new Int32Array(B * L);
    const targets = new Int32Array(B * L);
    const maskData = new Float32Array(B * L);
    sequences.forEach((seq, b) => {
      ids.set(seq, b * T);
      for (let k = 0; k < seq.length - start[b]; k++) {
        const pos = start[b] + k;
        rows[b * L + k] = b * T + pos - 1;
        targets[b * L + k] = seq[pos];
        maskData[b * L + k] = 1;
      }
    });
    const logits = this.forward(tf.tensor1d(ids, "int32"), B, T);
    // With one common start (a language-model loss, equal-length prompts) the scored rows of each
    // sequence are the same window [start − 1, start − 1 + L): a slice, far cheaper than a gather.
    const s0 = start[0];
    const rowsOfLogits = start.every((s) => s === s0)
      ? (tf.reshape(tf.slice(tf.reshape(logits, [B, T, -1]), [0, s0 - 1, 0], [B, L, -1]), [
          B * L,
          -1,
        ]) as tf.Tensor2D)
      : gatherRows(logits, tf.tensor1d(rows, "int32"));
    // log softmax(z/T): TRL divides the logits by the sampling temperature (grpo_trainer.py).
    const picked = temperature === 1 ? rowsOfLogits : (tf.div(rowsOfLogits, temperature) as tf.Tensor2D);
    const mask = tf.tensor2d(maskData, [B, L]);
    const logprobs = tf.mul(
      tf.reshape(pickLogProbs(picked, tf.tensor1d(targets, "int32")), [B, L]),
      mask,
    ) as tf.Tensor2D;
    const entropy = options.entropy
      ? (tf.mul(tf.reshape(softmaxEntropy(picked), [B, L]), mask) as tf.Tensor2D)
      : undefined;
    return { logprobs, entropy, mask };
  }

  /**
   * Mean negative log-likelihood of every token after the first of each sequence (the language-model
   * loss), as a scalar tensor for {@link trainStep}.
   */
  languageModelLoss(sequences: readonly Int32Array[]): tf.Scalar {
    const { logprobs, mask } = this.sequenceLogProbs({ sequences, start: sequences.map(() => 1) });
    return tf.div(tf.neg(tf.sum(logprobs)), tf.sum(mask)) as tf.Scalar;
  }

  /** Per-token log-probs of given sequences from their start index (the `SequenceScorer` capability). */
  async score(request: ScoreRequest): Promise<ScoreResult> {
    this.assertLive();
    return tidyValue(() => {
      const { logprobs, entropy } = this.sequenceLogProbs(request, { entropy: request.entropy });
      const lp = logprobs.dataSync() as Float32Array;
      const en = entropy?.dataSync() as Float32Array | undefined;
      const L = logprobs.shape[1];
      const rows = (data: Float32Array) =>
        request.sequences.map((seq, b) => data.slice(b * L, b * L + seq.length - request.start[b]));
      return { logprobs: rows(lp), entropy: en ? rows(en) : undefined };
    });
  }

  /**
   * Next-token logits after the last token of each sequence, as float32 rows. Sequences longer than the
   * context keep their last `contextLength` tokens (nanoGPT's crop).
   */
  lastLogits(sequences: readonly Int32Array[]): Float32Array[] {
    this.assertLive();
    const C = this.config.contextLength;
    const windows = sequences.map((s) => (s.length > C ? s.subarray(s.length - C) : s));
    const T = Math.max(...windows.map((w) => w.length));
    const B = windows.length;
    const ids = new Int32Array(B * T);
    const rows = new Int32Array(B);
    windows.forEach((w, b) => {
      if (w.length === 0)
        throw new ConfigError(`prompts[${b}]`, w, "use a prompt of at least one token (e.g. <bos>)");
      ids.set(w, b * T);
      rows[b] = b * T + w.length - 1;
    });
    const V = this.config.vocabSize;
    const data = tidyValue(
      () =>
        tf
          .gather(this.forward(tf.tensor1d(ids, "int32"), B, T), tf.tensor1d(rows, "int32"))
          .dataSync() as Float32Array,
    );
    return windows.map((_, b) => data.slice(b * V, (b + 1) * V));
  }

  /**
   * Samples completions (the `SequenceSampler` capability) with `@rlts/lm`'s decode loop, which
   * fixes the order of the draws (step by step, prompt by prompt), so a seed gives the same
   * completions on every engine whose logits agree. This model supplies the logits: with the
   * key/value cache a prefill and then one cached position per step, else (or once a sequence would
   * outgrow the cache or the context) {@link lastLogits}.
   */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertLive();
    return generateCompletions(request, this.config.vocabSize, this.decodeSteps());
  }

  /** The logits {@link generate} samples from; the cache lives until `release`. */
  private decodeSteps(): DecodeSteps {
    const C = this.config.contextLength;
    // The cache holds positions [0, capacity); a sequence that would outgrow it (or the context, where
    // the uncached path starts cropping) switches the remaining steps to the uncached path.
    let cache: KvCache | undefined;
    const uncached = (sequences: readonly (readonly number[])[], active: readonly number[]) =>
      this.lastLogits(active.map((i) => Int32Array.from(sequences[i])));
    return {
      prefill: (prompts, maxNewTokens) => {
        const longest = Math.max(...prompts.map((t) => t.length));
        if (!this.kvCache || longest > C)
          return uncached(
            prompts,
            prompts.map((_, i) => i),
          );
        const { cache: kept, logits } = this.prefill(prompts, Math.min(C, longest + maxNewTokens));
        cache = kept;
        return logits;
      },
      extend: (sequences, active) => {
        if (cache) {
          const live = new Set(active);
          const positions = sequences.map((t) => t.length - 1);
          if (positions.every((pos, i) => !live.has(i) || pos < cache!.capacity)) {
            // Finished sequences go through the step too (at a clamped position); their rows are unread.
            const all = this.decodeStep(
              cache,
              sequences.map((t) => t[t.length - 1]),
              positions.map((pos) => Math.min(pos, cache!.capacity - 1)),
            );
            return active.map((i) => all[i]);
          }
          disposeCache(cache);
          cache = undefined;
        }
        return uncached(sequences, active);
      },
      release: () => {
        if (cache) disposeCache(cache);
        cache = undefined;
      },
    };
  }

  /**
   * Runs the prompts (right-padded to the longest) through the model once: the logits after each
   * prompt's last token and the keys and values of every layer, in a cache of `capacity` positions.
   * Padding sits after each prompt, so causal attention never lets a prompt see it.
   */
  private prefill(
    prompts: readonly (readonly number[])[],
    capacity: number,
  ): { cache: KvCache; logits: Float32Array[] } {
    const B = prompts.length;
    const T = Math.max(...prompts.map((t) => t.length));
    const ids = new Int32Array(B * T);
    const rows = new Int32Array(B);
    prompts.forEach((t, b) => {
      ids.set(t, b * T);
      rows[b] = b * T + t.length - 1;
    });
    const V = this.config.vocabSize;
    const k: tf.Tensor3D[] = [];
    const v: tf.Tensor3D[] = [];
    const data = tf.tidy(() => {
      const kv = { k: [] as tf.Tensor3D[], v: [] as tf.Tensor3D[] };
      const logits = this.run(tf.tensor1d(ids, "int32"), B, T, kv);
      const pad = (t: tf.Tensor3D) =>
        tf.keep(
          tf.pad(t, [
            [0, 0],
            [0, capacity - T],
            [0, 0],
          ]) as tf.Tensor3D,
        );
      kv.k.forEach((t) => {
        k.push(pad(t));
      });
      kv.v.forEach((t) => {
        v.push(pad(t));
      });
      return tf.gather(logits, tf.tensor1d(rows, "int32"));
    });
    const flat = data.dataSync() as Float32Array;
    data.dispose();
    return { cache: { k, v, capacity }, logits: prompts.map((_, b) => flat.slice(b * V, (b + 1) * V)) };
  }

  /**
   * One cached step: token `tokens[b]` at position `positions[b]` of every sequence b goes through the
   * model, its key and value are written into the cache at that position, and its query attends to
   * cache positions ≤ positions[b] (the same causal attention as the full forward pass). Returns the
   * next-token logits of every sequence.
   */
  private decodeStep(
    cache: KvCache,
    tokens: readonly number[],
    positions: readonly number[],
  ): Float32Array[] {
    const { dModel: d, nLayers, nHeads: H, vocabSize: V } = this.config;
    const B = tokens.length;
    const S = cache.capacity;
    const dh = d / H;
    const p = (name: string) => this.params.get(name);
    const data = tidyValue(() => {
      const pos = tf.tensor1d(Int32Array.from(positions), "int32");
      let x = tf.add(
        tf.gather(p("wte"), tf.tensor1d(Int32Array.from(tokens), "int32")),
        tf.gather(p("wpe"), pos),
      ) as tf.Tensor2D;
      // here[b, s] = (s = positions[b]): where the new key goes; future[b, s] = s > positions[b].
      const slots = tf.range(0, S, 1, "int32");
      // As 0/1 floats: tf.where would broadcast by tiling (slow on wasm); c·(1 − here) + k·here is exact.
      const here = tf.cast(tf.reshape(tf.equal(tf.expandDims(pos, 1), slots), [B, S, 1]), "float32");
      const notHere = tf.sub(1, here);
      const future = tf.reshape(tf.greater(slots, tf.expandDims(pos, 1)), [B, S, 1]);
      const maskAdd = tf.mul(tf.cast(future, "float32"), -1e9);
      const scale = 1 / Math.sqrt(dh);
      for (let l = 0; l < nLayers; l++) {
        const b = `blocks.${l}`;
        const h = layerNorm(x, p(`${b}.ln1.gamma`) as tf.Tensor1D, p(`${b}.ln1.beta`) as tf.Tensor1D);
        const qkv = linear(h, p(`${b}.attn.wqkv`) as tf.Tensor2D, p(`${b}.attn.bqkv`) as tf.Tensor1D);
        const part = (i: number) => tf.reshape(tf.slice(qkv, [0, i * d], [B, d]), [B, 1, d]);
        const write = (c: tf.Tensor3D, i: number) =>
          tf.add(tf.mul(c, notHere), tf.mul(here, part(i))) as tf.Tensor3D;
        const kAll = write(cache.k[l], 1);
        const vAll = write(cache.v[l], 2);
        cache.k[l].dispose();
        cache.v[l].dispose();
        cache.k[l] = tf.keep(kAll);
        cache.v[l] = tf.keep(vAll);
        // Scores [B, S, H] = Σ_j q·k /√dh + mask (Vaswani et al. 2017 eq. 1), softmax over S.
        const q = tf.reshape(part(0), [B, 1, H, dh]);
        const scores = tf.add(tf.mul(tf.sum(tf.mul(q, tf.reshape(kAll, [B, S, H, dh])), -1), scale), maskAdd);
        const att = softmax(tf.transpose(scores, [0, 2, 1])); // [B, H, S]
        // y[b, h, j] = Σ_s att[b, h, s]·v[b, s, h, j]
        const y = tf.sum(
          tf.mul(tf.reshape(tf.transpose(att, [0, 2, 1]), [B, S, H, 1]), tf.reshape(vAll, [B, S, H, dh])),
          1,
        );
        x = this.blockTail(x, b, tf.reshape(y, [B, d]) as tf.Tensor2D);
      }
      return this.head(x).dataSync() as Float32Array;
    });
    return tokens.map((_, b) => data.slice(b * V, (b + 1) * V));
  }

  private checkTokens(field: string, seq: ArrayLike<number>): void {
    const V = this.config.vocabSize;
    for (let i = 0; i < seq.length; i++) {
      const t = seq[i];
      if (!Number.isInteger(t) || t < 0 || t >= V)
        throw new ConfigError(`${field}[${i}]`, t, `use token ids in [0, ${V - 1}]`);
    }
  }
}

/** Frees the tensors of a key/value cache. */
function disposeCache(cache: KvCache): void {
  for (const t of [...cache.k, ...cache.v]) t.dispose();
}
