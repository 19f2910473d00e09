import { getRegistry, type LossInputs, type PluginOptions } from "@rlts/core";
import { GrpoObjective, type GrpoOptions } from "@rlts/objectives";
import type * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

/** What one `loss` call of {@link RecordingGrpo} saw. */
interface Seen {
  readonly hasOld: boolean;
  /** max |log π_θ − log π_old| over the masked tokens (0 when π_old is absent). */
  readonly maxLogRatio: number;
  readonly numItemsInBatch: number | undefined;
  readonly logprobs: number[][];
  readonly old: number[][] | undefined;
  readonly ref: number[][] | undefined;
  /** Σ mask of the rows whose completion was not truncated. */
  readonly stoppedTokens: number;
}

/** The built-in grpo objective, registered under another name, recording the inputs it is given. */
class RecordingGrpo extends GrpoObjective {
  override readonly name = "recording-grpo";
  readonly seen: Seen[] = [];
  override loss(inputs: LossInputs<tf.Tensor>) {
    const lp = inputs.logprobs.arraySync() as number[][];
    const mask = inputs.mask?.arraySync() as number[][];
    const old = inputs.oldLogprobs?.arraySync() as number[][] | undefined;
    let maxLogRatio = 0;
    if (old) {
      lp.forEach((row, b) => {
        row.forEach((v, t) => {
          if (mask[b][t]) maxLogRatio = Math.max(maxLogRatio, Math.abs(v - old[b][t]));
        });
      });
    }
    const truncated = inputs.truncated?.arraySync() as number[];
    const stoppedTokens = mask.reduce(
      (n, row, b) => n + (truncated[b] ? 0 : row.reduce((a, v) => a + v, 0)),
      0,
    );
    this.seen.push({
      hasOld: old !== undefined,
      maxLogRatio,
      numItemsInBatch: inputs.numItemsInBatch,
      logprobs: lp,
      old,
      ref: inputs.refLogprobs?.arraySync() as number[][] | undefined,
      stoppedTokens,
    });
    return super.loss(inputs);
  }
}

async function run(overrides: Parameters<typeof tinyConfig>[1], objective: GrpoOptions = {}) {
  const dir = await tempRunDir();
  const recorders: RecordingGrpo[] = [];
  const config = parseConfig(
    tinyConfig(dir, { objective: { name: "recording-grpo", ...objective }, ...overrides }),
  );
  const trainer = await GrpoTrainer.create(config, {
    log: () => {},
    register: (container) => {
      getRegistry(container).register("objective", "recording-grpo", (options: PluginOptions) => {
        const o = new RecordingGrpo(options as GrpoOptions);
        recorders.push(o);
        return o;
      });
    },
  });
  await trainer.train();
  await trainer.dispose();
  return recorders[0].seen;
}

describe("π_old of a generation batch that spans several optimiser steps (TRL)", () => {
  it("is scored once per batch with μ = 1 and two minibatches, so the second minibatch's ratio is not 1", async () => {
    // 2 prompts × 4 = 8 completions, minibatches of 4 (one micro-batch each): two optimiser steps per batch.
    const seen = await run({
      optimizer: { lr: 0.05 },
      train: { steps: 2, iterations: 1, minibatchSize: 4 },
    });
    expect(seen.length).toBe(4);
    // Every minibatch gets π_old; before the first update of a batch π_θ = π_old (ratio 1 up to the
    // onnxruntime-vs-tfjs rounding), after it the policy has moved.
    for (const s of seen) expect(s.hasOld).toBe(true);
    expect(seen[0].maxLogRatio).toBeLessThan(1e-4);
    expect(seen[1].maxLogRatio).toBeGreaterThan(1e-3);
    expect(seen[2].maxLogRatio).toBeLessThan(1e-4);
    expect(seen[3].maxLogRatio).toBeGreaterThan(1e-3);
  });

  it("is not needed for one minibatch and one pass: ratio 1 by construction", async () => {
    const seen = await run({ train: { steps: 1, iterations: 1 } });
    expect(seen.map((s) => s.hasOld)).toEqual([false]);
  });

  it("at temperature T the policy, π_old and the reference are all scored under softmax(z/T)", async () => {
    // With T = 0.5 π_old comes from the sampler's own log-probs (sampled with no top-k/top-p), and the
    // first minibatch's π_θ must equal it: both are log softmax(z/T) of the same weights.
    const seen = await run({
      rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, temperature: 0.5 },
      train: { steps: 1, iterations: 2, minibatchSize: 8 },
    });
    expect(seen[0].hasOld).toBe(true);
    expect(seen[0].maxLogRatio).toBeLessThan(1e-4);
    // The reference is the policy at step 1: scored at the same T it gives the same log-probs.
    const lp = seen[0].logprobs.flat();
    const ref = seen[0].ref!.flat();
    expect(Math.max(...lp.map((v, i) => Math.abs(v - ref[i])))).toBeLessThan(1e-4);
    // Scoring at T = 1 instead would not match the samples' log-probs.
    const untempered = await run({
      rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, temperature: 0.5 },
      train: { steps: 1, iterations: 2, minibatchSize: 8, logprobTemperature: 1 },
    });
    expect(untempered[0].maxLogRatio).toBeLessThan(1e-4); // rescored with the sampler at T = 1
    const a = seen[0].logprobs.flat();
    const b = untempered[0].logprobs.flat();
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-2);
  });

  it("counts only the tokens the loss keeps: truncated completions drop out under overlong filtering", async () => {
    const seen = await run(
      {
        train: { steps: 1, iterations: 1 },
        rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 3, temperature: 1 },
      },
      { lossType: "dapo", maskTruncatedCompletions: true },
    );
    // maxNewTokens 3: a completion that did not stop by then is truncated. The count passed to the
    // loss is the tokens of the completions that stopped (TRL counts after masking), not all tokens.
    const [s] = seen;
    const all = s.logprobs.flat().filter((v) => v !== 0).length;
    expect(s.stoppedTokens).toBeLessThan(all); // some completions were truncated
    expect(s.numItemsInBatch).toBe(Math.max(s.stoppedTokens, 1));
  });
});
