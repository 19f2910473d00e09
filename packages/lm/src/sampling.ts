import { assertInRange, assertInteger, type Rng } from "@rlts/core";

/** The knobs of {@link sampleFromLogits}. */
export interface SamplingOptions {
  /** Softmax temperature; 0 means greedy (argmax). Default 1. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens; 0 keeps all. Default 0. */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p. Default 1. */
  readonly topP?: number;
}

/** Validates sampling options, naming `field.<option>` in errors. */
export function checkSamplingOptions(
  options: SamplingOptions,
  field = "generate",
): Required<SamplingOptions> {
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  assertInRange(`${field}.temperature`, temperature, 0, 1e6);
  assertInteger(`${field}.topK`, topK, 0);
  assertInRange(`${field}.topP`, topP, 1e-9, 1);
  return { temperature, topK, topP };
}

/** log softmax of one row of logits, in float64. */
export function logSoftmax64(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logZ;
  return out;
}

/**
 * The distribution a token is drawn from, in float64: softmax(z/T), then top-k, then top-p (the order
 * of Hugging Face's logits warpers), renormalised. T = 0 puts all mass on the argmax (lowest index on
 * ties). Top-p keeps tokens in order of decreasing probability (lower index first on ties) until
 * their cumulative mass reaches p (Holtzman et al. 2020 §3.1).
 */
export function samplingDistribution(
  logits: ArrayLike<number>,
  options: Required<SamplingOptions>,
): Float64Array {
  const n = logits.length;
  const probs = new Float64Array(n);
  if (options.temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    probs[best] = 1;
    return probs;
  }
  const logp = logSoftmax64(temperatureScaled(logits, options.temperature));
  for (let i = 0; i < n; i++) probs[i] = Math.exp(logp[i]);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  const keep = new Uint8Array(n);
  const k = options.topK > 0 ? Math.min(options.topK, n) : n;
  let mass = 0;
  for (let r = 0; r < k; r++) {
    keep[order[r]] = 1;
    mass += probs[order[r]];
    if (mass >= options.topP) break;
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!keep[i]) probs[i] = 0;
    total += probs[i];
  }
  for (let i = 0; i < n; i++) probs[i] /= total;
  return probs;
}

/**
 * Draws one token from {@link samplingDistribution} by inverse CDF over token ids in increasing order,
 * with one `rng.next()` per draw (none when greedy). Returns the token and its log-probability under
 * softmax(z/T), before top-k and top-p (the plain softmax when greedy), as `GenerateResult` specifies.
 */
export function sampleFromLogits(
  logits: ArrayLike<number>,
  options: Required<SamplingOptions>,
  rng: Rng,
): { token: number; logprob: number } {
  const probs = samplingDistribution(logits, options);
  let token = -1;
  if (options.temperature === 0) {
    token = probs.indexOf(1);
  } else {
    const u = rng.next();
    let cumulative = 0;
    for (let i = 0; i < probs.length; i++) {
      if (probs[i] === 0) continue;
      cumulative += probs[i];
      token = i;
      if (u < cumulative) break;
    }
  }
  return { token, logprob: logSoftmax64(temperatureScaled(logits, options.temperature))[token] };
}

/** z/T for T > 0 (TRL `logits / temperature`); the logits themselves for T = 0 or 1. */
export function temperatureScaled(logits: ArrayLike<number>, temperature: number): ArrayLike<number> {
  if (temperature === 0 || temperature === 1) return logits;
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] / temperature;
  return out;
}

/** Validates a scoring temperature (`ScoreRequest.temperature`), naming `field`; default 1. */
export function checkScoreTemperature(temperature: unknown, field = "score.temperature"): number {
  if (temperature === undefined) return 1;
  assertInRange(field, temperature as number, 1e-6, 1e6);
  return temperature as number;
}
