import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readCheckpointManifest } from "@rlts/backend-tfjs";
import { ConfigError, getRegistry, type LossInputs, type RewardInput } from "@rlts/core";
import { GrpoObjective } from "@rlts/objectives";
import * as tf from "@tensorflow/tfjs-core";
import type { DependencyContainer } from "tsyringe";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig, TrainingStepError } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

const quiet = { log: () => {} };
const checkpointEveryStep = {
  samplesPerStep: 0,
  checkpointEvery: 1,
  keepCheckpoints: 5,
  progress: "none" as const,
  report: false,
};

function metricSteps(dir: string): number[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l).step as number);
}

describe("failures give a clear message and keep the checkpoints already written", () => {
  it("a missing dataset file names the field and the path", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(
      tinyConfig(dir, { task: { name: "jsonl-prompts", path: "no/such/file.jsonl" } }),
    );
    const error = await GrpoTrainer.create(config, { ...quiet, baseDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(join(dir, "no/such/file.jsonl"));
  });

  it("a reward plugin that throws stops the run naming the reward and step; step 2's checkpoint survives", async () => {
    const dir = await tempRunDir();
    let calls = 0;
    const register = (container: DependencyContainer) => {
      getRegistry(container).register("reward", "flaky", () => ({
        name: "flaky",
        score: (inputs: readonly RewardInput[]) => {
          calls++;
          if (calls === 3) throw new Error("grader service unreachable");
          return inputs.map((x) => x.completion.length);
        },
      }));
    };
    const config = parseConfig(tinyConfig(dir, { reward: "flaky", logging: checkpointEveryStep }));
    const trainer = await GrpoTrainer.create(config, { ...quiet, register });
    const error = await trainer.train().catch((e: unknown) => e);
    await trainer.dispose();
    expect(error).toBeInstanceOf(TrainingStepError);
    const message = (error as Error).message;
    expect(message).toContain('reward "flaky" failed at step 3: grader service unreachable');
    expect(message).toContain("step-000002.ckpt is intact");
    expect((await readCheckpointManifest(join(dir, "checkpoints", "step-000002.ckpt"))).step).toBe(2);
    expect(existsSync(join(dir, "checkpoints", "step-000003.ckpt"))).toBe(false);
    expect(metricSteps(dir)).toEqual([1, 2]);
  });

  it("the same throwing reward inside a composite is recorded as a failure, not a crash", async () => {
    const dir = await tempRunDir();
    const register = (container: DependencyContainer) => {
      getRegistry(container).register("reward", "broken", () => ({
        name: "broken",
        score: () => {
          throw new Error("always fails");
        },
      }));
    };
    const config = parseConfig(
      tinyConfig(dir, {
        reward: ["broken", { name: "length", measure: "characters", maxLength: 8, cacheLength: 7 }],
        train: { steps: 1 },
      }),
    );
    const trainer = await GrpoTrainer.create(config, { ...quiet, register });
    const result = await trainer.train();
    await trainer.dispose();
    expect(result.step).toBe(1);
    // onError "zero": the broken component scores 0 on every sample.
    expect(result.metrics["reward/broken"]).toBe(0);
  });

  it("NaN in the loss stops before any weight changes and keeps the checkpoints", async () => {
    const dir = await tempRunDir();
    let calls = 0;
    const register = (container: DependencyContainer) => {
      getRegistry(container).register("objective", "nan-at-step-3", (options) => {
        const inner = new GrpoObjective(options);
        return {
          name: "nan-at-step-3",
          requires: inner.requires,
          options: inner.options,
          loss: (inputs: LossInputs<tf.Tensor>) => {
            calls++;
            const out = inner.loss(inputs);
            // 8 micro-batch losses per step (μ = 2 passes × 2 minibatches × 2 micro-batches).
            return calls > 16 ? { ...out, loss: tf.mul(out.loss, Number.NaN) } : out;
          },
        };
      });
    };
    const config = parseConfig(
      tinyConfig(dir, { objective: { name: "nan-at-step-3", beta: 0.04 }, logging: checkpointEveryStep }),
    );
    const trainer = await GrpoTrainer.create(config, { ...quiet, register });
    let before: Float32Array | undefined;
    const error = await trainer
      .train({ steps: 2 })
      .then(() => {
        before = trainer.policy.getFlatParams();
        return trainer.train();
      })
      .catch((e: unknown) => e);
    const after = trainer.policy.getFlatParams();
    await trainer.dispose();
    expect(error).toBeInstanceOf(TrainingStepError);
    expect((error as Error).message).toMatch(/step 3 failed: loss\[0\] is NaN/);
    expect((error as Error).message).toContain("step-000002.ckpt is intact");
    expect(after).toEqual(before);
    expect(metricSteps(dir)).toEqual([1, 2]);
    expect(existsSync(join(dir, "checkpoints", "step-000001.ckpt"))).toBe(true);
    expect(existsSync(join(dir, "checkpoints", "step-000002.ckpt"))).toBe(true);
  });

  it("refuses to start over a run folder that holds checkpoints unless resuming", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(tinyConfig(dir, { train: { steps: 1 } }));
    const first = await GrpoTrainer.create(config, quiet);
    await first.train();
    await first.dispose();
    const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    await expect(GrpoTrainer.create(config, quiet)).rejects.toThrow(/runDir: .*--resume/);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).toBe(metrics);
    expect(existsSync(join(dir, "checkpoints", "step-000001.ckpt"))).toBe(true);
  });

  it("an abort signal finishes the step, writes a checkpoint and returns interrupted", async () => {
    const dir = await tempRunDir();
    const controller = new AbortController();
    const config = parseConfig(
      tinyConfig(dir, { train: { steps: 10 }, logging: { ...checkpointEveryStep, checkpointEvery: 0 } }),
    );
    const trainer = await GrpoTrainer.create(config, {
      ...quiet,
      onStep: (step) => {
        if (step === 2) controller.abort();
      },
    });
    const result = await trainer.train({ signal: controller.signal });
    await trainer.dispose();
    expect(result).toMatchObject({ step: 2, interrupted: true });
    expect((await readCheckpointManifest(join(dir, "checkpoints", "step-000002.ckpt"))).step).toBe(2);
  });
});
