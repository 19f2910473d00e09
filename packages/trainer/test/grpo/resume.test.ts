import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

const quiet = { log: () => {} };

describe("resume", () => {
  it("continues exactly: k steps + resume to N logs the same lines as N uninterrupted steps", async () => {
    const full = await tempRunDir();
    const split = await tempRunDir();
    // Reference reset and off-policy sampler lag make the resumed state include both companion models.
    const overrides = {
      train: { steps: 4, iterations: 2, minibatchSize: 4, microBatchSize: 2 },
      reference: { resetEvery: 2 },
      logging: { samplesPerStep: 2, checkpointEvery: 0, progress: "none" as const, report: false },
    };
    const a = await GrpoTrainer.create(parseConfig(tinyConfig(full, overrides)), quiet);
    await a.train();
    await a.dispose();

    const b = await GrpoTrainer.create(parseConfig(tinyConfig(split, overrides)), quiet);
    await b.train({ steps: 2 });
    await b.dispose();
    const c = await GrpoTrainer.create(parseConfig(tinyConfig(split, overrides)), { ...quiet, resume: true });
    expect(c.step).toBe(2);
    await c.train();
    await c.dispose();

    for (const file of ["metrics.jsonl", "samples.jsonl"]) {
      const expected = readFileSync(join(full, file), "utf8");
      expect(expected.split("\n").filter(Boolean)).toHaveLength(file === "metrics.jsonl" ? 4 : 8);
      expect(readFileSync(join(split, file), "utf8")).toBe(expected);
    }
  });

  it("continues exactly with the off-policy objective and a lagging sampler", async () => {
    const full = await tempRunDir();
    const split = await tempRunDir();
    const overrides = {
      // The tfjs fallback engine for rollouts and the reference.
      rollout: { engine: "tfjs" as const, promptsPerStep: 2, groupSize: 4, maxNewTokens: 8 },
      objective: { name: "grpo-offpolicy", samplerRefreshPeriod: 2, beta: 0.04 },
      train: { steps: 3, iterations: 1 },
      logging: { samplesPerStep: 1, checkpointEvery: 0, progress: "none" as const, report: false },
    };
    const a = await GrpoTrainer.create(parseConfig(tinyConfig(full, overrides)), quiet);
    await a.train();
    await a.dispose();
    // Stop at step 2: the sampler was refreshed at step 1 and lags the policy by one update.
    const b = await GrpoTrainer.create(parseConfig(tinyConfig(split, overrides)), quiet);
    await b.train({ steps: 2 });
    await b.dispose();
    const c = await GrpoTrainer.create(parseConfig(tinyConfig(split, overrides)), { ...quiet, resume: true });
    await c.train();
    await c.dispose();
    const expected = readFileSync(join(full, "metrics.jsonl"), "utf8");
    expect(readFileSync(join(split, "metrics.jsonl"), "utf8")).toBe(expected);
  });

  it("drops lines logged after the last checkpoint when resuming", async () => {
    const dir = await tempRunDir();
    const overrides = {
      train: { steps: 3 },
      logging: {
        samplesPerStep: 0,
        checkpointEvery: 1,
        keepCheckpoints: 2,
        progress: "none" as const,
        report: false,
      },
    };
    const a = await GrpoTrainer.create(parseConfig(tinyConfig(dir, overrides)), quiet);
    await a.train();
    await a.dispose();
    // Simulate a crash after step 3's metrics were logged but before its checkpoint: keep only step 2's.
    const { rm } = await import("node:fs/promises");
    await rm(join(dir, "checkpoints", "step-000003.ckpt"));
    await rm(join(dir, "checkpoints", "step-000003.ref.ckpt"));
    const b = await GrpoTrainer.create(parseConfig(tinyConfig(dir, overrides)), { ...quiet, resume: true });
    expect(b.step).toBe(2);
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n").filter(Boolean);
    expect(lines.map((l) => JSON.parse(l).step)).toEqual([1, 2]);
    await b.dispose();
  });
});

describe("a failed start", () => {
  it("frees the policy and engines it had built before the failure", async () => {
    const dir = await tempRunDir();
    const overrides = {
      train: { steps: 2 },
      logging: { samplesPerStep: 0, checkpointEvery: 1, progress: "none" as const, report: false },
    };
    const a = await GrpoTrainer.create(parseConfig(tinyConfig(dir, overrides)), quiet);
    await a.train();
    await a.dispose();
    // The reference part of the last checkpoint is gone: resuming fails after the policy, the rollout
    // engine and the reference engine exist.
    const { rm } = await import("node:fs/promises");
    await rm(join(dir, "checkpoints", "step-000002.ref.ckpt"));
    const before = tf.memory().numTensors;
    await expect(
      GrpoTrainer.create(parseConfig(tinyConfig(dir, overrides)), { ...quiet, resume: true }),
    ).rejects.toThrow(/step-000002\.ref\.ckpt/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("resetReference", () => {
  it("makes the KL to the reference start again from zero", async () => {
    const dir = await tempRunDir();
    const trainer = await GrpoTrainer.create(
      parseConfig(tinyConfig(dir, { train: { steps: 3, iterations: 1 } })),
      quiet,
    );
    const kls: number[] = [];
    const onStep = (m: { kl?: number }) => kls.push(m.kl ?? Number.NaN);
    onStep((await trainer.train({ steps: 2 })).metrics);
    await trainer.resetReference();
    onStep((await trainer.train({ steps: 3 })).metrics);
    await trainer.dispose();
    // Step 2 is scored against the base model after one update; step 3 against the policy as it was
    // before step 3, which is π_θ itself: k3 = e^x − x − 1 with x = log π_ref − log π_θ = 0 up to
    // float32 rounding between onnxruntime (reference) and tfjs (policy).
    expect(kls[0]).toBeGreaterThan(1e-4);
    expect(Math.abs(kls[1])).toBeLessThan(1e-6);
  });
});
