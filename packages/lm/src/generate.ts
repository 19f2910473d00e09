import {
  assertInteger,
  ConfigError,
  type GenerateRequest,
  type GenerateResult,
  type Rng,
  ShapeError,
} from "@rlts/core";
import { checkSamplingOptions, type SamplingOptions, sampleFromLogits } from "./sampling.js";

/** Rows of next-token logits, one per sequence asked for, each of length vocabSize. */
export type LogitRows = readonly ArrayLike<number>[];

/**
 * What an engine supplies to {@link generateCompletions}: the next-token logits of the sequences being
 * sampled. How they are computed (a key/value cache, a full forward pass over a cropped window, a
 * switch from one to the other past the context) is the engine's business; the order of the draws,
 * stop tokens and the result are not.
 */
export interface DecodeSteps {
  /**
   * The logits after the last token of every prompt (one row per prompt, in order). Called once,
   * before the first draw, and only when there is a prompt and a token to sample. `maxNewTokens` is
   * there to size a cache: no sequence grows by more.
   */
  prefill(prompts: readonly (readonly number[])[], maxNewTokens: number): LogitRows | Promise<LogitRows>;
  /**
   * After every unfinished sequence got one more token (the last entry of its array): the logits
   * after it for the sequences `active` (the unfinished ones, by index, increasing), one row per
   * entry of `active`. Finished sequences keep their arrays; they are no longer asked for.
   */
  extend(
    sequences: readonly (readonly number[])[],
    active: readonly number[],
  ): LogitRows | Promise<LogitRows>;
  /** Frees what prefill and extend kept (a cache). Called once when decoding ends, also after an error. */
  release?(): void | Promise<void>;
}

/** A {@link GenerateRequest} checked and with its defaults filled in. */
export interface CheckedGenerateRequest {
  /** Copies of the prompts, as plain arrays (the sequences decoding appends to). */
  readonly prompts: number[][];
  readonly maxNewTokens: number;
  readonly sampling: Required<SamplingOptions>;
  readonly stopTokens: ReadonlySet<number>;
  readonly rng: Rng;
}

/**
 * Checks a generate request against a vocabulary of `vocabSize` ids, with errors naming the field:
 * `generate.temperature`/`topK`/`topP`, `generate.maxNewTokens`, `generate.rng`, `generate.prompts`,
 * `prompts[i]` (not an Int32Array or array, or empty: a prompt needs at least one token, e.g.
 * `<bos>`) and `prompts[i][k]` (an id outside [0, vocabSize)).
 */
export function checkGenerateRequest(request: GenerateRequest, vocabSize: number): CheckedGenerateRequest {
  const sampling = checkSamplingOptions(request);
  assertInteger("generate.maxNewTokens", request.maxNewTokens, 0);
  if (!request.rng || typeof request.rng.next !== "function") {
    throw new ConfigError("generate.rng", request.rng, "pass a seeded Rng (createRng(seed) from @rlts/core)");
  }
  if (!Array.isArray(request.prompts)) {
    throw new ConfigError("generate.prompts", request.prompts, "pass an array of Int32Array prompts");
  }
  const prompts = request.prompts.map((p, i) => {
    if (!(p instanceof Int32Array) && !Array.isArray(p)) {
      throw new ConfigError(`prompts[${i}]`, p, "use an Int32Array of token ids");
    }
    for (let k = 0; k < p.length; k++) {
      const t = p[k] as number;
      if (!Number.isInteger(t) || t < 0 || t >= vocabSize)
        throw new ConfigError(`prompts[${i}][${k}]`, t, `use token ids in [0, ${vocabSize - 1}]`);
    }
    if (p.length === 0)
      throw new ConfigError(`prompts[${i}]`, p, "use a prompt of at least one token (e.g. <bos>)");
    return Array.from(p as ArrayLike<number>);
  });
  return {
    prompts,
    maxNewTokens: request.maxNewTokens,
    sampling,
    stopTokens: new Set(request.stopTokens ?? []),
    rng: request.rng,
  };
}

/**
 * Samples completions (the `SequenceSampler.generate` of every engine) from the logits `steps`
 * supplies. The draws come from `request.rng` in one fixed order, step by step and within a step the
 * unfinished prompts in order, each through {@link sampleFromLogits} (one `rng.next()` per token,
 * none when greedy), so a seed gives the same completions on every engine whose logits agree. A
 * completion ends after a stop token (which it includes) or after `maxNewTokens` tokens; the
 * log-probs are those `sampleFromLogits` reports.
 */
export async function generateCompletions(
  request: GenerateRequest,
  vocabSize: number,
  steps: DecodeSteps,
): Promise<GenerateResult> {
  const {
    prompts: sequences,
    maxNewTokens,
    sampling,
    stopTokens,
    rng,
  } = checkGenerateRequest(request, vocabSize);
  const completions: number[][] = sequences.map(() => []);
  const logprobs: number[][] = sequences.map(() => []);
  const stopped = sequences.map(() => false);
  if (sequences.length > 0 && maxNewTokens > 0) {
    try {
      let active = sequences.map((_, i) => i);
      let rows = checkRows(await steps.prefill(sequences, maxNewTokens), active.length, vocabSize);
      for (let step = 0; ; step++) {
        active.forEach((i, a) => {
          const { token, logprob } = sampleFromLogits(rows[a], sampling, rng);
          sequences[i].push(token);
          completions[i].push(token);
          logprobs[i].push(logprob);
          if (stopTokens.has(token)) stopped[i] = true;
        });
        active = active.filter((i) => !stopped[i]);
        if (active.length === 0 || step + 1 === maxNewTokens) break;
        rows = checkRows(await steps.extend(sequences, active), active.length, vocabSize);
      }
    } finally {
      await steps.release?.();
    }
  }
  return {
    completions: completions.map((c) => Int32Array.from(c)),
    logprobs: logprobs.map((l) => Float32Array.from(l)),
    stopped,
  };
}

/** An engine returning the wrong number or width of rows would silently sample garbage. */
function checkRows(rows: LogitRows, count: number, vocabSize: number): LogitRows {
  if (!Array.isArray(rows) || rows.length !== count || rows.some((r) => r?.length !== vocabSize)) {
    throw new ShapeError(
      "next-token logits",
      `${count} rows of ${vocabSize} values`,
      Array.isArray(rows) ? `${rows.length} rows of ${rows.map((r) => r?.length).join(", ")}` : String(rows),
    );
  }
  return rows;
}
