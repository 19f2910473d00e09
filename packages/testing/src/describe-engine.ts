import {
  createRng,
  type Rng,
  type SequenceSampler,
  type SequenceScorer,
  type TrainablePolicy,
  type WeightReceiver,
} from "@rlts/core";
import { describe, expect, it } from "vitest";

/** A language model with every engine capability the suite checks. `T` is the engine's tensor type. */
export interface ConformanceLanguageModel<T>
  extends SequenceScorer,
    SequenceSampler,
    TrainablePolicy<T>,
    WeightReceiver {}

/** One model whose gradient the suite checks by finite differences, over a flat parameter vector. */
export interface DifferentiableCase {
  /** The parameters as one float32 vector. */
  getFlat(): Float32Array;
  /** Writes a vector laid out like {@link getFlat}. */
  setFlat(flat: ArrayLike<number>): void;
  /** A scalar loss of the model at the current parameters, computed by the engine. */
  loss(): number;
  /** The engine's gradient of {@link loss} with respect to the flat parameters. */
  gradient(): Float64Array;
  /** Frees the model. */
  dispose(): void | Promise<void>;
}

/** How {@link describeEngine} builds what it checks. The suite knows nothing of tensors beyond `T`. */
export interface EngineConformanceOptions<T> {
  /** Vocabulary size of the language models {@link createLanguageModel} builds (≥ 4, ≤ 64). */
  readonly vocabSize: number;
  /** Longest sequence the language models accept (≥ 6). */
  readonly contextLength: number;
  /**
   * Builds a small language model; the same seed gives the same weights. Its next-token distributions
   * should be far from uniform (e.g. a larger init scale) so the sampling test has power.
   */
  createLanguageModel(seed: number): ConformanceLanguageModel<T> | Promise<ConformanceLanguageModel<T>>;
  /** The raw next-token logits after each prefix of `tokens`: row p predicts token p + 1. */
  logits(model: ConformanceLanguageModel<T>, tokens: Int32Array): Float32Array[] | Promise<Float32Array[]>;
  /** A loss closure for `trainStep`: the mean next-token negative log-likelihood of `sequences`. */
  languageModelLoss(model: ConformanceLanguageModel<T>, sequences: readonly Int32Array[]): () => T;
  /** Every model the engine trains, by label, for the finite-difference gradient check. */
  readonly gradientCases: Readonly<Record<string, () => DifferentiableCase | Promise<DifferentiableCase>>>;
  /** Relative tolerance of the finite-difference check (plus 3e-5 absolute). Default 1e-2 (float32). */
  readonly gradientTolerance?: number;
}

/** log softmax in float64, by hand. */
function logSoftmax(row: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return Array.from(row, (z) => z - max - Math.log(sum));
}

/** 0.999 quantile of χ²(df), Wilson–Hilferty approximation (z = 3.090). */
function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + 3.09 * Math.sqrt(a)) ** 3;
}

/** Pearson χ² of counts against probabilities, merging cells with expected count < 5 into one. */
function chiSquare(counts: number[], probs: number[], n: number): { stat: number; df: number } {
  let stat = 0;
  let cells = 0;
  let restObs = 0;
  let restExp = 0;
  probs.forEach((p, i) => {
    const expected = p * n;
    if (expected < 5) {
      restObs += counts[i];
      restExp += expected;
      return;
    }
    stat += (counts[i] - expected) ** 2 / expected;
    cells++;
  });
  if (restExp >= 5) {
    stat += (restObs - restExp) ** 2 / restExp;
    cells++;
  } else if (restObs > 0 && restExp === 0) {
    stat = Number.POSITIVE_INFINITY;
  }
  return { stat, df: Math.max(1, cells - 1) };
}

function randomSequence(rng: Rng, length: number, vocab: number): Int32Array {
  return Int32Array.from({ length }, () => rng.int(vocab));
}

/**
 * The contract every training engine meets (run it once per backend): scores are the log-softmax of
 * the model's own logits at the right positions; sampling follows the stated distribution (χ² test)
 * with temperature and top-k, greedy decoding is the argmax, a seed fixes the samples; each model's
 * gradient matches finite differences; a train step is deterministic for a seed and lowers the loss;
 * weights round-trip through getWeights/setWeights.
 */
export function describeEngine<T>(label: string, options: EngineConformanceOptions<T>): void {
  const V = options.vocabSize;
  const C = options.contextLength;

  describe(`Engine conformance: ${label}`, () => {
    it("scores known sequences with the log-softmax of the model's logits (and their entropy)", async () => {
      const model = await options.createLanguageModel(1);
      const rng = createRng(11);
      const sequences = [
        randomSequence(rng, C, V),
        randomSequence(rng, 3, V),
        randomSequence(rng, Math.min(5, C), V),
      ];
      const start = [1, 2, Math.min(5, C) - 1];
      const result = await model.score({ sequences, start, entropy: true });
      expect(result.logprobs.length).toBe(3);
      for (let i = 0; i < sequences.length; i++) {
        const seq = sequences[i];
        const rows = await options.logits(model, seq);
        expect(result.logprobs[i].length).toBe(seq.length - start[i]);
        for (let k = 0; k < seq.length - start[i]; k++) {
          const p = start[i] + k;
          // Token p is predicted by the logits after prefix seq[0..p-1], i.e. row p − 1.
          const logp = logSoftmax(rows[p - 1]);
          expect(result.logprobs[i][k]).toBeCloseTo(logp[seq[p]], 4);
          if (result.entropy) {
            const h = -logp.reduce((s, l) => s + Math.exp(l) * l, 0);
            expect(result.entropy[i][k]).toBeCloseTo(h, 4);
          }
        }
      }
      expect(result.entropy, "score({ entropy: true }) returns entropies").toBeDefined();
      await model.dispose();
    });

    it("scores under softmax(z/T) at a temperature, as the samples drawn at T report (TRL)", async () => {
      const model = await options.createLanguageModel(1);
      const prompt = Int32Array.from([2 % V, 1]);
      const T = 0.7;
      const out = await model.generate({
        prompts: [prompt, prompt],
        maxNewTokens: 3,
        temperature: T,
        rng: createRng(3),
      });
      const sequences = out.completions.map((c) => Int32Array.from([...prompt, ...c]));
      const scored = await model.score({ sequences, start: [2, 2], temperature: T, entropy: true });
      for (let i = 0; i < sequences.length; i++) {
        const rows = await options.logits(model, sequences[i]);
        for (let k = 0; k < out.completions[i].length; k++) {
          // log softmax(z/T) of the sampled token, by hand from the model's own logits.
          const logp = logSoftmax(Array.from(rows[1 + k], (z) => z / T));
          const token = sequences[i][2 + k];
          expect(scored.logprobs[i][k]).toBeCloseTo(logp[token], 4);
          expect(out.logprobs[i][k], "generate reports log softmax(z/T) too").toBeCloseTo(logp[token], 4);
          const h = -logp.reduce((s, l) => s + Math.exp(l) * l, 0);
          expect(scored.entropy![i][k]).toBeCloseTo(h, 4);
        }
      }
      await expect(model.score({ sequences, start: [2, 2], temperature: 0 })).rejects.toThrow(/temperature/);
      await model.dispose();
    });

    it("rejects scoring requests it cannot answer with errors naming the field", async () => {
      const model = await options.createLanguageModel(1);
      const seq = Int32Array.from([1, 2, 3]);
      await expect(model.score({ sequences: [seq], start: [0] })).rejects.toThrow(/start/);
      await expect(model.score({ sequences: [Int32Array.from([1, V])], start: [1] })).rejects.toThrow(
        /sequences\[0\]/,
      );
      await expect(model.score({ sequences: [seq], start: [1, 1] })).rejects.toThrow(/start/);
      await model.dispose();
    });

    it("decodes greedily to the argmax and returns each token's log-probability", async () => {
      const model = await options.createLanguageModel(2);
      const prompt = Int32Array.from([1, 2]);
      const out = await model.generate({
        prompts: [prompt],
        maxNewTokens: 3,
        temperature: 0,
        rng: createRng(0),
      });
      const completion = out.completions[0];
      expect(completion.length).toBe(3);
      const full = Int32Array.from([...prompt, ...completion]);
      const rows = await options.logits(model, full);
      for (let k = 0; k < 3; k++) {
        const row = rows[prompt.length - 1 + k];
        let best = 0;
        for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
        expect(completion[k]).toBe(best);
        expect(out.logprobs[0][k]).toBeCloseTo(logSoftmax(row)[best], 4);
      }
      expect(out.stopped[0]).toBe(false);
      await model.dispose();
    });

    it("stops a completion at a stop token and gives the same samples for the same seed", async () => {
      const model = await options.createLanguageModel(3);
      const prompts = Array.from({ length: 8 }, (_, i) => Int32Array.from([i % V, (i + 1) % V]));
      const stopTokens = [0, 1, 2];
      const a = await model.generate({ prompts, maxNewTokens: 6, stopTokens, rng: createRng(5) });
      const b = await model.generate({ prompts, maxNewTokens: 6, stopTokens, rng: createRng(5) });
      expect(b.completions).toEqual(a.completions);
      for (let i = 0; i < prompts.length; i++) {
        const c = a.completions[i];
        const stopAt = c.findIndex((t) => stopTokens.includes(t));
        if (a.stopped[i]) expect(stopAt).toBe(c.length - 1);
        else {
          expect(stopAt).toBe(-1);
          expect(c.length).toBe(6);
        }
      }
      await model.dispose();
    });

    it("samples tokens with the model's probabilities (χ² test), with temperature and top-k", async () => {
      const model = await options.createLanguageModel(4);
      const prompt = Int32Array.from([3 % V, 1]);
      const [row] = (await options.logits(model, prompt)).slice(-1);
      const n = 2000;
      const cases = [
        { temperature: 1, topK: 0 },
        { temperature: 0.7, topK: 3 },
      ];
      for (const c of cases) {
        // Expected distribution by hand: softmax(z/T), keep the top k, renormalise.
        const scaled = logSoftmax(Array.from(row, (z) => z / c.temperature)).map(Math.exp);
        const order = scaled.map((p, i) => [p, i]).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
        const keep = new Set(order.slice(0, c.topK || V).map(([, i]) => i));
        const mass = [...keep].reduce((s, i) => s + scaled[i], 0);
        const probs = scaled.map((p, i) => (keep.has(i) ? p / mass : 0));
        const out = await model.generate({
          prompts: Array.from({ length: n }, () => prompt),
          maxNewTokens: 1,
          temperature: c.temperature,
          topK: c.topK,
          rng: createRng(100 + c.topK),
        });
        const counts = new Array(V).fill(0);
        for (const completion of out.completions) counts[completion[0]]++;
        probs.forEach((p, i) => {
          if (p === 0) expect(counts[i], `token ${i} is outside top-${c.topK}`).toBe(0);
        });
        const { stat, df } = chiSquare(counts, probs, n);
        expect(stat, `χ² with ${df} degrees of freedom`).toBeLessThan(chiSquareCritical(df));
      }
      await model.dispose();
    });

    for (const [name, build] of Object.entries(options.gradientCases)) {
      it(`matches finite differences of the loss for ${name}`, async () => {
        const model = await build();
        const theta = model.getFlat();
        const grad = model.gradient();
        const gNorm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
        expect(gNorm).toBeGreaterThan(0);
        const rng = createRng(7);
        // Directional derivatives by central differences along the gradient, along dense random unit
        // directions and along random unit directions confined to a window of 48 consecutive
        // parameters (so an error in one small tensor is not drowned by the rest). With float32
        // engines a step of 1e-2 along a unit vector balances rounding and truncation error.
        const directions = [Float64Array.from(grad, (g) => g / gNorm)];
        for (let r = 0; r < 8; r++) {
          const d = new Float64Array(theta.length);
          const width = r < 3 ? theta.length : Math.min(48, theta.length);
          const from = r < 3 ? 0 : rng.int(theta.length - width + 1);
          for (let i = from; i < from + width; i++) d[i] = rng.normal();
          const norm = Math.sqrt(d.reduce((s, x) => s + x * x, 0));
          directions.push(d.map((x) => x / norm));
        }
        const h = 1e-2;
        const rtol = options.gradientTolerance ?? 1e-2;
        for (const d of directions) {
          model.setFlat(Float32Array.from(theta, (t, i) => t + h * d[i]));
          const plus = model.loss();
          model.setFlat(Float32Array.from(theta, (t, i) => t - h * d[i]));
          const minus = model.loss();
          model.setFlat(theta);
          const numeric = (plus - minus) / (2 * h);
          const analytic = grad.reduce((s, g, i) => s + g * d[i], 0);
          expect(Math.abs(numeric - analytic), `numeric ${numeric} vs analytic ${analytic}`).toBeLessThan(
            rtol * Math.max(Math.abs(numeric), Math.abs(analytic)) + 3e-5,
          );
        }
        await model.dispose();
      });
    }

    it("takes deterministic train steps for a fixed seed, and they lower the loss", async () => {
      const rng = createRng(21);
      const batch = Array.from({ length: 4 }, () => randomSequence(rng, Math.min(C, 6), V));
      const run = async () => {
        const model = await options.createLanguageModel(9);
        const results = [];
        for (let s = 0; s < 3; s++) results.push(model.trainStep(options.languageModelLoss(model, batch)));
        const weights = model.getWeights();
        await model.dispose();
        return { results, weights };
      };
      const a = await run();
      const b = await run();
      expect(b.results).toEqual(a.results);
      expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
      for (const [name, t] of a.weights) expect(b.weights.get(name)!.data, name).toEqual(t.data);
      for (const r of a.results) {
        expect(Number.isFinite(r.loss)).toBe(true);
        expect(r.gradNorm).toBeGreaterThan(0);
      }
      expect(a.results[2].loss).toBeLessThan(a.results[0].loss);
    });

    it("copies weights with getWeights/setWeights (same scores after the copy)", async () => {
      const source = await options.createLanguageModel(12);
      const target = await options.createLanguageModel(13);
      const request = { sequences: [Int32Array.from([1, 2, 3, 0])], start: [1] };
      const before = await target.score(request);
      const expected = await source.score(request);
      expect(before.logprobs[0]).not.toEqual(expected.logprobs[0]);
      await target.setWeights(source.getWeights());
      expect((await target.score(request)).logprobs[0]).toEqual(expected.logprobs[0]);
      const weights = source.getWeights();
      const [name, first] = [...weights][0];
      const bad = new Map(weights);
      bad.set(name, { shape: [...first.shape, 1], data: first.data });
      expect(() => target.setWeights(bad)).toThrow(new RegExp(name.replace(/\./g, "\\.")));
      await source.dispose();
      await target.dispose();
    });
  });
}
