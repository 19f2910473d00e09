import { checkSamplingOptions, type GptConfig, sampleFromLogits } from "@rlts/backend-tfjs";
import { ConfigError, type GenerateRequest, type GenerateResult, type Weights } from "@rlts/core";

/**
 * Sampling from a `GptModel`'s weights in plain JavaScript with a key/value cache: each new token costs
 * one position's forward pass instead of the whole prefix's. `GptModel.generate` re-runs the full
 * sequence through tfjs for every token, which made generation most of the demo's time; with a cache
 * a 2-layer, width-64 model samples a batch of completions many times faster on one core.
 *
 * The maths is the model's forward pass (backend-tfjs README "GPT"): pre-LayerNorm blocks with
 * LN(x) = (x − mean)/√(var + 1e-5)·γ + β, causal softmax attention with scale 1/√dh, tanh-GELU MLP.
 * Sampling is `sampleFromLogits` of backend-tfjs with the same draw order as `GptModel.generate` (step
 * by step, prompt by prompt), so the two agree token for token wherever their float32 logits do.
 */
export class KvCacheSampler {
  private readonly d: number;
  private readonly H: number;
  private readonly dh: number;
  private readonly C: number;
  private readonly V: number;
  private readonly F: number;
  private readonly w: Map<string, Float32Array>;
  private readonly headW: Float32Array;
  private readonly tied: boolean;

  constructor(
    private readonly config: Required<GptConfig>,
    weights: Weights,
  ) {
    this.d = config.dModel;
    this.H = config.nHeads;
    this.dh = this.d / this.H;
    this.C = config.contextLength;
    this.V = config.vocabSize;
    this.F = config.dFF;
    this.w = new Map([...weights].map(([name, t]) => [name, Float32Array.from(t.data)]));
    this.tied = config.tieEmbeddings;
    this.headW = this.tied ? this.get("wte") : this.get("head.w");
  }

  private get(name: string): Float32Array {
    const t = this.w.get(name);
    if (!t) throw new ConfigError("weights", name, "pass the weights of a GptModel (getWeights())");
    return t;
  }

  /** A cache for one sequence: keys and values of every layer, `C·d` floats each. */
  private newCache(): { k: Float32Array[]; v: Float32Array[]; length: number } {
    const n = this.config.nLayers;
    return {
      k: Array.from({ length: n }, () => new Float32Array(this.C * this.d)),
      v: Array.from({ length: n }, () => new Float32Array(this.C * this.d)),
      length: 0,
    };
  }

  /** y = x·W + b with W stored [in, out] row-major. */
  private linear(x: Float32Array, W: Float32Array, b: Float32Array | undefined, out: number): Float32Array {
    const y = b ? Float32Array.from(b) : new Float32Array(out);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * out;
      for (let j = 0; j < out; j++) y[j] += xi * W[row + j];
    }
    return y;
  }

  private layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array): Float32Array {
    let mean = 0;
    for (let i = 0; i < x.length; i++) mean += x[i];
    mean /= x.length;
    let variance = 0;
    for (let i = 0; i < x.length; i++) variance += (x[i] - mean) ** 2;
    variance /= x.length;
    // LN(x) = (x − mean)/√(var + 1e-5)·γ + β, biased variance (Ba et al. 2016; backend-tfjs README)
    const inv = 1 / Math.sqrt(variance + 1e-5);
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
    return y;
  }

  /** Feeds one token at the cache's next position; returns the next-token logits. */
  private step(cache: ReturnType<KvCacheSampler["newCache"]>, token: number): Float32Array {
    const { d, H, dh } = this;
    const t = cache.length;
    const wte = this.get("wte");
    const wpe = this.get("wpe");
    let x = new Float32Array(d);
    for (let i = 0; i < d; i++) x[i] = wte[token * d + i] + wpe[t * d + i];
    const scale = 1 / Math.sqrt(dh);
    const scores = new Float32Array(t + 1);
    for (let l = 0; l < this.config.nLayers; l++) {
      const b = `blocks.${l}`;
      const h = this.layerNorm(x, this.get(`${b}.ln1.gamma`), this.get(`${b}.ln1.beta`));
      const qkv = this.linear(h, this.get(`${b}.attn.wqkv`), this.get(`${b}.attn.bqkv`), 3 * d);
      const K = cache.k[l];
      const Vc = cache.v[l];
      K.set(qkv.subarray(d, 2 * d), t * d);
      Vc.set(qkv.subarray(2 * d, 3 * d), t * d);
      const y = new Float32Array(d);
      for (let head = 0; head < H; head++) {
        const off = head * dh;
        // softmax(q·kᵀ/√dh) over positions 0..t (Vaswani et al. 2017 eq. 1, causal)
        let max = Number.NEGATIVE_INFINITY;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < dh; i++) dot += qkv[off + i] * K[s * d + off + i];
          scores[s] = dot * scale;
          if (scores[s] > max) max = scores[s];
        }
        let total = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s] - max);
          total += scores[s];
        }
        for (let s = 0; s <= t; s++) {
          const a = scores[s] / total;
          for (let i = 0; i < dh; i++) y[off + i] += a * Vc[s * d + off + i];
        }
      }
      const o = this.linear(y, this.get(`${b}.attn.wo`), this.get(`${b}.attn.bo`), d);
      for (let i = 0; i < d; i++) x[i] += o[i];
      const h2 = this.layerNorm(x, this.get(`${b}.ln2.gamma`), this.get(`${b}.ln2.beta`));
      const f = this.linear(h2, this.get(`${b}.mlp.w1`), this.get(`${b}.mlp.b1`), this.F);
      for (let i = 0; i < f.length; i++) {
        const u = f[i];
        // gelu(u) = 0.5u(1 + tanh(√(2/π)(u + 0.044715u³))) (Hendrycks & Gimpel 2016; backend-tfjs README)
        f[i] = 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
      }
      const m = this.linear(f, this.get(`${b}.mlp.w2`), this.get(`${b}.mlp.b2`), d);
      x = x.map((v, i) => v + m[i]);
    }
    cache.length = t + 1;
    const hf = this.layerNorm(x, this.get("lnf.gamma"), this.get("lnf.beta"));
    if (!this.tied) return this.linear(hf, this.headW, undefined, this.V);
    const logits = new Float32Array(this.V);
    for (let v = 0; v < this.V; v++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += hf[i] * this.headW[v * d + i];
      logits[v] = dot;
    }
    return logits;
  }

  /** Logits after the last token of `tokens`, reading (and extending) the cache; the window is the last C tokens. */
  private advance(
    cache: ReturnType<KvCacheSampler["newCache"]>,
    tokens: readonly number[],
    fed: number,
  ): { logits: Float32Array<ArrayBufferLike>; fed: number } {
    if (tokens.length > this.C && (cache.length === this.C || fed < tokens.length - this.C)) {
      // The window slides: positions shift, so rebuild the cache from the last C tokens (GptModel's crop).
      cache.length = 0;
      fed = tokens.length - this.C;
    }
    let logits: Float32Array<ArrayBufferLike> = new Float32Array(0);
    for (; fed < tokens.length; fed++) logits = this.step(cache, tokens[fed]);
    return { logits, fed };
  }

  /** Next-token logits after each sequence (the window of its last C tokens), for tests. */
  lastLogits(sequences: readonly Int32Array[]): Float32Array[] {
    return sequences.map((s) => this.advance(this.newCache(), Array.from(s), 0).logits);
  }

  /** Samples completions exactly as `GptModel.generate` does, with a cache. */
  generate(request: GenerateRequest): GenerateResult {
    const sampling = checkSamplingOptions(request);
    const stop = new Set(request.stopTokens ?? []);
    const tokens = request.prompts.map((p) => Array.from(p));
    const caches = request.prompts.map(() => this.newCache());
    const fed = request.prompts.map(() => 0);
    // GRPO samples G completions of each prompt: run each distinct prompt's prefix once and copy the cache.
    const prefilled = new Map<string, { index: number; logits: Float32Array<ArrayBufferLike> }>();
    const firstLogits: (Float32Array<ArrayBufferLike> | undefined)[] = request.prompts.map(() => undefined);
    tokens.forEach((t, i) => {
      if (t.length === 0 || t.length > this.C) return;
      const key = t.join(",");
      const done = prefilled.get(key);
      if (done) {
        const src = caches[done.index];
        for (let l = 0; l < src.k.length; l++) {
          caches[i].k[l].set(src.k[l]);
          caches[i].v[l].set(src.v[l]);
        }
        caches[i].length = src.length;
        fed[i] = t.length;
        firstLogits[i] = done.logits;
      } else {
        const r = this.advance(caches[i], t, 0);
        fed[i] = r.fed;
        firstLogits[i] = r.logits;
        prefilled.set(key, { index: i, logits: r.logits });
      }
    });
    const completions: number[][] = request.prompts.map(() => []);
    const logprobs: number[][] = request.prompts.map(() => []);
    const stopped = request.prompts.map(() => false);
    for (let step = 0; step < request.maxNewTokens; step++) {
      let active = 0;
      for (let i = 0; i < tokens.length; i++) {
        if (stopped[i]) continue;
        active++;
        let logits = firstLogits[i];
        if (step > 0 || !logits) {
          const r = this.advance(caches[i], tokens[i], fed[i]);
          fed[i] = r.fed;
          logits = r.logits;
        }
        const { token, logprob } = sampleFromLogits(logits, sampling, request.rng);
        tokens[i].push(token);
        completions[i].push(token);
        logprobs[i].push(logprob);
        if (stop.has(token)) stopped[i] = true;
      }
      if (active === 0) break;
    }
    return {
      completions: completions.map((c) => Int32Array.from(c)),
      logprobs: logprobs.map((l) => Float32Array.from(l)),
      stopped,
    };
  }
}
