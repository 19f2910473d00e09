import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readCheckpointManifest } from "@rlts/backend-tfjs";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("GRPO end to end on synthetic arithmetic (tiny random GPT)", () => {
  it("samples groups, scores them, computes advantages, updates the weights and writes the run folder", async () => {
    const dir = await tempRunDir();
    // Rollouts and reference on onnxruntime (the default engine), training on tfjs, report at the end.
    const config = parseConfig(
      tinyConfig(dir, { logging: { samplesPerStep: 2, checkpointEvery: 2, report: true } }),
    );
    expect(config.rollout.engine).toBe("onnx");
    const trainer = await GrpoTrainer.create(config, { log: () => {} });
    const base = await trainer.evaluate({ label: "base", limit: 4 });
    const before = trainer.policy.getWeights();
    const result = await trainer.train();
    const after = trainer.policy.getWeights();
    const final = await trainer.evaluate({ label: "final", limit: 4 });
    const report = await trainer.writeReport();
    await trainer.dispose();
    expect(base).toMatchObject({ label: "base", step: 0, n: 4 });
    expect(Object.keys(final.accuracy).sort()).toEqual(["length", "math-correctness"]);
    expect(readJsonl(join(dir, "evaluations.jsonl")).map((e) => e.label)).toEqual(["base", "final"]);
    expect(readFileSync(report, "utf8")).toContain("final");

    expect(result).toMatchObject({ step: 3, interrupted: false });
    // The output head and the attention weights reach every sampled token's log-prob, so every entry
    // gets a gradient and AdamW moves every one (embedding rows of unseen tokens may stay put).
    for (const name of ["head.w", "blocks.0.attn.wqkv", "blocks.0.mlp.w1", "lnf.gamma"]) {
      const b = before.get(name)!.data;
      const a = after.get(name)!.data;
      let changed = 0;
      for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) changed++;
      expect(changed, name).toBe(b.length);
    }

    const metrics = readJsonl(join(dir, "metrics.jsonl"));
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    for (const m of metrics) {
      // The length component varies across random completions, so groups have reward spread.
      expect(m["reward/std"]).toBeGreaterThan(0);
      expect(m["advantage/std"]).toBeGreaterThan(0);
      expect(Math.abs(m["advantage/mean"] as number)).toBeLessThan(1e-9);
      expect(m).toHaveProperty("reward/math-correctness");
      expect(m).toHaveProperty("reward/length");
      expect(m).toHaveProperty("accuracy");
      // β = 0.04 with a frozen reference: the KL to it is measured and ≥ 0 (k3 is non-negative).
      expect(m.kl).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(m.loss)).toBe(true);
      expect(m.grad_norm).toBeGreaterThan(0);
      // μ = 2 passes × (8 completions / minibatch 4) = 4 optimiser steps per trainer step.
      expect(m.lr).toBe(0.01);
    }
    // The reference is frozen at the base model: the policy drifts from it over the run.
    expect(metrics[2].kl as number).toBeGreaterThan(metrics[0].kl as number);

    const samples = readJsonl(join(dir, "samples.jsonl"));
    expect(samples).toHaveLength(6);
    expect(samples[0]).toMatchObject({ step: 1 });
    expect(typeof samples[0].completion).toBe("string");
    expect(samples[0]).toHaveProperty("rewards.length");

    const manifest = await readCheckpointManifest(join(dir, "checkpoints", "step-000003.ckpt"));
    expect(manifest.step).toBe(3);
    expect(manifest.optimizerStep).toBe(12); // 3 steps × 4 optimiser steps
    expect(existsSync(join(dir, "checkpoints", "step-000002.ckpt"))).toBe(true);
    expect(existsSync(join(dir, "config.json"))).toBe(true);
    expect(result.report).toBe(join(dir, "report", "index.html"));
    const html = readFileSync(result.report!, "utf8");
    expect(html).toContain("reward/length");
    expect(html).toContain("tiny");
  });
});
