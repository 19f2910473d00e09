import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getRegistry, type RewardInput } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

// Completion g of each group of G = 4 scores [1, 0, abstain, 1][g], whatever it says.
const pattern = [1, 0, null, 1];

describe("abstaining rewards in the GRPO trainer (TRL nanmean/nanstd)", () => {
  it("a completion no reward scores gets advantage 0 and stays out of its group's statistics", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(
      tinyConfig(dir, {
        reward: "by-position",
        train: { steps: 1, iterations: 1 },
        logging: { samplesPerStep: 8, checkpointEvery: 0, progress: "none", report: false },
      }),
    );
    const trainer = await GrpoTrainer.create(config, {
      log: () => {},
      register: (container) => {
        getRegistry(container).register("reward", "by-position", () => ({
          name: "by-position",
          score: (inputs: readonly RewardInput[]) => inputs.map((_, i) => pattern[i % 4]),
        }));
      },
    });
    await trainer.train();
    await trainer.dispose();
    const samples = readFileSync(join(dir, "samples.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { total_reward: number | null; advantage: number });
    expect(samples.length).toBe(8);
    // Group [1, 0, null, 1]: mean over the scored {1, 0, 1} = 2/3, sample std sqrt(1/3) = 0.5774;
    // (1 − 2/3)/(0.57735 + 1e-4) = 0.57725, (0 − 2/3)/0.57745 = −1.15450, the abstained one 0.
    // (With the abstention read as 0 the group would give [0.866, −0.866, −0.866, 0.866].)
    const s = Math.sqrt(1 / 3) + 1e-4;
    for (const row of samples) {
      const expected = row.total_reward === null ? 0 : (row.total_reward - 2 / 3) / s;
      expect(row.advantage).toBeCloseTo(expected, 10);
    }
    expect(samples.filter((r) => r.total_reward === null).length).toBe(2);
    const [metrics] = readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(metrics.reward).toBeCloseTo(2 / 3, 12); // the mean of the scored rewards
    expect(metrics["reward/abstained"]).toBe(0.25);
  });
});

describe("group-normalised rewards (TRL normalize_then_sum / GDPO) in the GRPO trainer", () => {
  it("passes each completion's group to the reward, and with group { scale: batch } gives TRL's advantages", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(
      tinyConfig(dir, {
        reward: {
          name: "composite",
          aggregation: "normalize_then_sum",
          components: [
            { name: "math-correctness", format: "last-number" },
            { name: "length", measure: "characters", maxLength: 8, cacheLength: 7, weight: 0.5 },
          ],
        },
        advantage: { name: "group", scale: "batch" },
        train: { steps: 1, iterations: 1 },
        logging: { samplesPerStep: 8, checkpointEvery: 0, progress: "none", report: false },
      }),
    );
    const trainer = await GrpoTrainer.create(config, { log: () => {} });
    await trainer.train();
    await trainer.dispose();
    const rows = readFileSync(join(dir, "samples.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prompt: string; rewards: Record<string, number>; advantage: number });
    expect(rows.length).toBe(8);
    // TRL: per group and component z_k = (r_k − mean_g)/(sample std_g + 1e-4); S = Σ w_k z_k;
    // A = (S − mean_batch S)/(sample std_batch S + 1e-4).
    const weights: Record<string, number> = { "math-correctness": 1, length: 0.5 };
    const sampleStd = (x: number[]) => {
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      return Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / (x.length - 1));
    };
    const meanOf = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    const S = rows.map(() => 0);
    for (const prompt of new Set(rows.map((r) => r.prompt))) {
      const members = rows.map((r, i) => (r.prompt === prompt ? i : -1)).filter((i) => i >= 0);
      expect(members.length).toBe(4);
      for (const [label, w] of Object.entries(weights)) {
        const r = members.map((i) => rows[i].rewards[label]);
        const m = meanOf(r);
        const s = sampleStd(r);
        members.forEach((i, k) => {
          S[i] += w * ((r[k] - m) / (s + 1e-4));
        });
      }
    }
    const mS = meanOf(S);
    const sS = sampleStd(S);
    expect(sS).toBeGreaterThan(0); // the example has reward variance to normalise
    rows.forEach((row, i) => {
      expect(row.advantage).toBeCloseTo((S[i] - mS) / (sS + 1e-4), 9);
    });
  });
});
