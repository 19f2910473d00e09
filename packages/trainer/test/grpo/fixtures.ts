import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GrpoConfigInput } from "../../src/index.js";

/** A fresh temporary run folder. */
export async function tempRunDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "rlts-grpo-"));
}

/**
 * A tiny random GPT on 1-digit synthetic arithmetic: small enough that a step takes well under a second
 * on the cpu backend. Rewards: math correctness (any final number) and a length penalty measured in
 * characters, which varies across random completions so that groups have non-zero reward variance.
 */
export function tinyConfig(runDir: string, overrides: Partial<GrpoConfigInput> = {}): GrpoConfigInput {
  return {
    name: "tiny",
    seed: 7,
    runDir,
    engine: { prefer: "cpu" },
    task: {
      name: "synthetic-arithmetic",
      digits: 1,
      steps: 1,
      trainSize: 40,
      testSize: 8,
      seed: 3,
      template: "{expression}=",
    },
    prompt: { template: "{question}" },
    model: {
      gpt: { contextLength: 24, dModel: 16, nLayers: 1, nHeads: 2 },
      tokenizer: { text: "0123456789+-= ", multiCharTokens: ["<answer>", "</answer>"] },
    },
    optimizer: { lr: 0.01 },
    rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, temperature: 1 },
    reward: [
      { name: "math-correctness", format: "last-number" },
      { name: "length", measure: "characters", maxLength: 8, cacheLength: 7 },
    ],
    advantage: "group",
    objective: { name: "grpo", beta: 0.04 },
    train: { steps: 3, iterations: 2, minibatchSize: 4, microBatchSize: 2 },
    logging: { samplesPerStep: 2, checkpointEvery: 2, progress: "none", report: false },
    ...overrides,
  };
}
