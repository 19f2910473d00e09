import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

const quiet = { log: () => {} };

function lines(dir: string): string[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n").filter(Boolean);
}

function overrides(overlap: boolean) {
  return {
    rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, overlap },
    objective: { name: "grpo-offpolicy", beta: 0.04 },
    train: { steps: 3, iterations: 1, minibatchSize: 4, microBatchSize: 2 },
    logging: { samplesPerStep: 1, checkpointEvery: 0, progress: "none" as const, report: false },
  };
}

async function run(dir: string, overlap: boolean, steps?: number, resume = false): Promise<void> {
  const trainer = await GrpoTrainer.create(parseConfig(tinyConfig(dir, overrides(overlap))), {
    ...quiet,
    resume,
  });
  await trainer.train({ steps });
  await trainer.dispose();
}

describe("overlapped generation (rollout.overlap)", () => {
  it("samples batch k+1 from the weights before update k: step 1 matches the synchronous run, step 2 does not", async () => {
    const sync = await tempRunDir();
    const overlapped = await tempRunDir();
    await run(sync, false);
    await run(overlapped, true);
    const a = lines(sync);
    const b = lines(overlapped);
    expect(b).toHaveLength(3);
    // Step 1: the same prompts, weights and sampling stream in both runs.
    expect(b[0]).toBe(a[0]);
    // Step 2 was sampled from θ_0 (overlapped) instead of θ_1 (synchronous): different completions.
    expect(b[1]).not.toBe(a[1]);
  });

  it("resumes exactly while a batch is being sampled (it is sampled again from the saved state)", async () => {
    const full = await tempRunDir();
    const split = await tempRunDir();
    await run(full, true);
    await run(split, true, 1);
    await run(split, true, undefined, true);
    expect(lines(split)).toEqual(lines(full));
    expect(readFileSync(join(split, "samples.jsonl"), "utf8")).toBe(
      readFileSync(join(full, "samples.jsonl"), "utf8"),
    );
  });
});
