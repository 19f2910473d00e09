import type { GptModel } from "@rlts/backend-tfjs";
import type { LossInputs, Metrics, Objective, Rng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { runUpdatePhase } from "../update/update-phase.js";
import { accumulatedStep, accumulatedStepAsync } from "./grad-accumulation.js";

/** A scored generation batch as the update reads it (sample i = prompt ++ completion i). */
export interface TrainingBatch {
  readonly sequences: readonly Int32Array[];
  /** Index of each sequence's first completion token. */
  readonly start: readonly number[];
  /** Completion tokens per sample. */
  readonly lengths: readonly number[];
  /** 1 where the completion was cut at the length limit. */
  readonly truncated: Uint8Array;
  readonly advantages: Float64Array;
  /** The estimator's sample mask (0: out of the loss, KL included), if any. */
  readonly sampleMask: Uint8Array | undefined;
  /** log π_old = log α of the sampled tokens, per sample; absent: π_old = sg[π_θ]. */
  readonly oldLogprobs: readonly Float32Array[] | undefined;
  readonly refLogprobs: readonly Float32Array[] | undefined;
  /** Samples with at least one completion token (the others have nothing to train on). */
  readonly trainable: readonly number[];
  /** T of log softmax(z/T) for the policy's log-probs. */
  readonly temperature: number;
}

/** Options of {@link updatePolicy}. */
export interface PolicyUpdateOptions {
  readonly policy: GptModel;
  readonly objective: Objective<tf.Tensor>;
  readonly batch: TrainingBatch;
  /** μ: passes over the batch. */
  readonly iterations: number;
  readonly minibatchSize: number;
  readonly microBatchSize: number;
  readonly shuffleRng: Rng;
  /** Yield to the event loop between micro-batches (an overlapped generation runs meanwhile). */
  readonly yieldBetween: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Right-pads float rows to `[B, L]`. */
function padRows(rows: readonly ArrayLike<number>[], L: number): Float32Array {
  const out = new Float32Array(rows.length * L);
  rows.forEach((r, b) => {
    for (let k = 0; k < Math.min(L, r.length); k++) out[b * L + k] = r[k];
  });
  return out;
}

/** An objective's metrics as plain numbers (scalar tensors read). */
function numbers(metrics: Readonly<Record<string, tf.Tensor | number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (k !== "loss") out[k] = typeof v === "number" ? v : v.dataSync()[0];
  }
  return out;
}

/**
 * The GRPO policy update: μ passes of shuffled minibatches (the shared {@link runUpdatePhase}, so the
 * objective's early stops apply), each one AdamW step whose gradient is accumulated over
 * micro-batches. Each micro-batch's loss is weighted by the objective's `accumulationWeight` (default
 * 1/micro-batches) and receives `numItemsInBatch` = the tokens the objective's loss counts in the
 * minibatch (`countLossTokens`, TRL's num_items_in_batch). Returns the metrics averaged over the phase.
 */
export async function updatePolicy(o: PolicyUpdateOptions): Promise<Record<string, number>> {
  const { policy, objective, batch } = o;
  const { sampleMask, oldLogprobs, refLogprobs } = batch;
  const wantsEntropy = objective.requires.includes("entropy");
  const microLosses = (minibatch: Int32Array, reports: Metrics[]): (() => tf.Scalar)[] => {
    const ids = Array.from(minibatch);
    // The tokens the objective's loss counts in this optimiser step (TRL num_items_in_batch).
    const counted = ids
      .filter((i) => !sampleMask || sampleMask[i])
      .map((i) => ({ tokens: batch.lengths[i], truncated: batch.truncated[i] === 1 }));
    const numItemsInBatch = objective.countLossTokens?.(counted) ?? counted.reduce((s, c) => s + c.tokens, 0);
    const microBatches = Math.ceil(ids.length / o.microBatchSize);
    const weight = objective.accumulationWeight?.(microBatches) ?? 1 / microBatches;
    const closures: (() => tf.Scalar)[] = [];
    for (let u = 0; u < ids.length; u += o.microBatchSize) {
      const idx = ids.slice(u, u + o.microBatchSize);
      closures.push(() => {
        const lp = policy.sequenceLogProbs(
          {
            sequences: idx.map((i) => batch.sequences[i]),
            start: idx.map((i) => batch.start[i]),
            temperature: batch.temperature,
          },
          { entropy: wantsEntropy },
        );
        const [B, L] = lp.logprobs.shape;
        const rows = (source: readonly Float32Array[]) =>
          tf.tensor2d(
            padRows(
              idx.map((i) => source[i]),
              L,
            ),
            [B, L],
          );
        const inputs: LossInputs<tf.Tensor> = {
          logprobs: lp.logprobs,
          mask: sampleMask
            ? tf.mul(
                lp.mask,
                tf.tensor2d(
                  Float32Array.from(idx, (i) => sampleMask[i]),
                  [B, 1],
                ),
              )
            : lp.mask,
          entropy: lp.entropy,
          advantages: tf.tensor1d(Float32Array.from(idx, (i) => batch.advantages[i])),
          oldLogprobs: oldLogprobs ? rows(oldLogprobs) : undefined,
          refLogprobs: refLogprobs ? rows(refLogprobs) : undefined,
          truncated: tf.tensor1d(Float32Array.from(idx, (i) => batch.truncated[i])),
          numItemsInBatch: Math.max(numItemsInBatch, 1),
        };
        const out = objective.loss(inputs);
        reports.push(numbers(out.metrics));
        return tf.mul(out.loss, weight) as tf.Scalar;
      });
    }
    return closures;
  };
  const { metrics } = await runUpdatePhase({
    samples: batch.trainable,
    epochs: o.iterations,
    minibatchSize: o.minibatchSize,
    minibatches: Math.ceil(batch.trainable.length / o.minibatchSize),
    rng: o.shuffleRng,
    objective,
    probe: (minibatch) => {
      const reports: Metrics[] = [];
      for (const loss of microLosses(minibatch, reports)) policy.lossValue(loss);
      return Object.assign({}, ...reports);
    },
    step: async (minibatch) => {
      const reports: Metrics[] = [];
      const lr = policy.adamw.currentLr;
      const closures = microLosses(minibatch, reports);
      const result = o.yieldBetween
        ? await accumulatedStepAsync(policy, closures, yieldToEventLoop)
        : accumulatedStep(policy, closures);
      return [...reports, { loss: result.loss, grad_norm: result.gradNorm, lr }];
    },
  });
  return metrics;
}
