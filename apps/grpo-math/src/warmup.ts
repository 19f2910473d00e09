// Supervised warm-up: trains the small base model on worked arithmetic solutions and stops early
// (after `--max-steps`, or once greedy accuracy on held-out training problems reaches `--target`). The
// result answers in the <think>…</think><answer>…</answer> format but is only modestly accurate, which
// leaves GRPO something to improve. Same seed, same checkpoint.
//
//   pnpm --filter grpo-math run warmup [--seed 1] [--max-steps 200] [--out checkpoints/base.ckpt]
import "reflect-metadata";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import { saveModelCheckpoint } from "@rlts/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { evaluate } from "./evaluate.js";
import { modelDefaults } from "./model.js";
import { createTask, createTokenizer, promptText, targetCompletion } from "./task.js";

/** Options of {@link warmup}. */
export interface WarmupOptions {
  /** Seed of the initialisation and the batch order. */
  readonly seed: number;
  /** Stop once greedy strict accuracy on the validation problems reaches this. */
  readonly target: number;
  /** Upper bound on optimiser steps. */
  readonly maxSteps: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Evaluate every this many steps. */
  readonly evalEvery: number;
  /** Training problems held out for the stopping rule (taken from the end of the train split). */
  readonly validationSize: number;
  readonly out: string;
  /**
   * Fraction of multi-step training solutions whose `<answer>` holds the first step's result instead of
   * the last (a systematic slip the base model picks up and GRPO can correct). 0: clean data.
   */
  readonly answerNoise: number;
  /** Also save `<out>.step-<n>` every this many steps (0: never), to pick a stopping point by hand. */
  readonly snapshotEvery: number;
}

/**
 * The shipped base model: 500 steps of 64 worked solutions at lr 2e-3, seed 1, half of the multi-step
 * answers slipped to the first step's result (27.8% greedy accuracy on the test split, 58.6% of its workings
 * right; see the README).
 * `target: 1` never stops before `maxSteps`.
 */
export const warmupDefaults: WarmupOptions = {
  seed: 1,
  target: 1,
  maxSteps: 500,
  batchSize: 64,
  lr: 2e-3,
  evalEvery: 50,
  validationSize: 300,
  out: "checkpoints/base.ckpt",
  snapshotEvery: 0,
  answerNoise: 0.5,
};

/** Runs the warm-up and writes the checkpoint; returns the validation accuracy it stopped at. */
export async function warmup(
  options: WarmupOptions,
): Promise<{ step: number; strict: number; lenient: number }> {
  const engine = await selectEngine();
  const task = createTask();
  const tokenizer = createTokenizer();
  const train = task.examples("train");
  const validation = train.slice(train.length - options.validationSize);
  const pool = train.slice(0, train.length - options.validationSize);
  const config = { vocabSize: tokenizer.vocabSize, ...modelDefaults };
  const model = new GptModel({
    ...config,
    seed: options.seed,
    optimizer: { lr: options.lr, warmupSteps: 50, weightDecay: 0.01 },
  });
  const rng = createRng(options.seed);
  const noiseRng = createRng(options.seed + 1_000_003);
  const encoded = pool.map((e) => {
    const prompt = tokenizer.encode(promptText(e), { bos: true });
    const steps = (e.solution ?? "").split(", ");
    const slip = steps.length > 1 && noiseRng.next() < options.answerNoise;
    // The slip: answer with the first step's result ("7+5=12, 12-3=9" answers 12).
    const answer = slip ? steps[0].slice(steps[0].lastIndexOf("=") + 1) : e.answer;
    const full = tokenizer.encode(promptText(e) + targetCompletion({ solution: e.solution, answer }), {
      bos: true,
      eos: true,
    });
    return { seq: full, start: prompt.length };
  });
  console.log(
    `warm-up on ${engine.device}: ${pool.length} problems, model ${JSON.stringify(config)}, seed ${options.seed}`,
  );
  const t0 = Date.now();
  let result = { step: 0, strict: 0, lenient: 0 };
  for (let step = 1; step <= options.maxSteps; step++) {
    const batch = Array.from({ length: options.batchSize }, () => encoded[rng.int(encoded.length)]);
    const { loss } = model.trainStep(() => {
      const { logprobs, mask } = model.sequenceLogProbs({
        sequences: batch.map((b) => b.seq),
        start: batch.map((b) => b.start),
      });
      // mean negative log-likelihood of the completion tokens
      return tf.div(tf.neg(tf.sum(logprobs)), tf.sum(mask)) as tf.Scalar;
    });
    if (options.snapshotEvery > 0 && step % options.snapshotEvery === 0) {
      await saveModelCheckpoint(resolve(`${options.out}.step-${step}`), { model, tokenizer }, { step });
      console.log(`step ${step} loss ${loss.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    if (step % options.evalEvery === 0) {
      const acc = await evaluate(model, tokenizer, validation);
      result = { step, strict: acc.strict, lenient: acc.lenient };
      console.log(
        `step ${step} loss ${loss.toFixed(4)} validation strict ${acc.strict.toFixed(3)} lenient ${acc.lenient.toFixed(3)} format ${acc.formatted.toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      );
      if (acc.strict >= options.target) break;
    }
  }
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  await saveModelCheckpoint(
    out,
    { model, tokenizer },
    { step: result.step, extra: { warmup: { ...options, out: undefined, stoppedAt: result } } },
  );
  console.log(`wrote ${options.out}`);
  model.dispose();
  return result;
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("warmup.ts");
if (isMain) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      target: { type: "string" },
      "max-steps": { type: "string" },
      lr: { type: "string" },
      out: { type: "string" },
      "eval-every": { type: "string" },
      "snapshot-every": { type: "string" },
      "answer-noise": { type: "string" },
    },
  });
  const result = await warmup({
    ...warmupDefaults,
    seed: Number(values.seed ?? warmupDefaults.seed),
    target: Number(values.target ?? warmupDefaults.target),
    maxSteps: Number(values["max-steps"] ?? warmupDefaults.maxSteps),
    lr: Number(values.lr ?? warmupDefaults.lr),
    out: values.out ?? warmupDefaults.out,
    evalEvery: Number(values["eval-every"] ?? warmupDefaults.evalEvery),
    snapshotEvery: Number(values["snapshot-every"] ?? warmupDefaults.snapshotEvery),
    answerNoise: Number(values["answer-noise"] ?? warmupDefaults.answerNoise),
  });
  console.log(JSON.stringify(result));
}
