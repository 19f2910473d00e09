import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getRegistry, type PluginKind } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

/**
 * Registers `copy-<name>` for each built-in: the built-in's own instance seen through an object that
 * answers to another name, so any behaviour keyed on a built-in's name would be lost by the copy.
 */
function registerCopies(container: DependencyContainer, copies: readonly [PluginKind, string][]): void {
  const registry = getRegistry(container);
  for (const [kind, name] of copies) {
    registry.register(kind, `copy-${name}`, (options, context) => {
      const original = context.registry.create(kind, name, options, context.container);
      return Object.create(original, { name: { value: `copy-${name}` } });
    });
  }
}

function metricLines(dir: string): Record<string, number>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function run(overrides: Parameters<typeof tinyConfig>[1]): Promise<Record<string, number>[]> {
  const dir = await tempRunDir();
  const trainer = await GrpoTrainer.create(parseConfig(tinyConfig(dir, overrides)), {
    log: () => {},
    register: (container) =>
      registerCopies(container, [
        ["objective", "grpo"],
        ["objective", "grpo-offpolicy"],
        ["advantage", "group"],
        ["engine", "onnx"],
        ["engine", "tfjs"],
      ]),
  });
  await trainer.train();
  await trainer.dispose();
  return metricLines(dir);
}

describe("a built-in registered under another name behaves identically (capabilities, not names)", () => {
  it("grpo with dapo, an entropy bonus, overlong filtering and accumulation; group advantages; onnx rollouts", async () => {
    const objective = { beta: 0.04, lossType: "dapo", entropyCoef: 0.01, maskTruncatedCompletions: true };
    const train = { steps: 2, iterations: 2, minibatchSize: 4, microBatchSize: 2 };
    const builtIn = await run({ objective: { name: "grpo", ...objective }, advantage: "group", train });
    const copies = await run({
      objective: { name: "copy-grpo", ...objective },
      advantage: "copy-group",
      rollout: { engine: "copy-onnx", promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, temperature: 1 },
      train,
    });
    expect(copies).toEqual(builtIn);
  });

  it("off-policy GRPO: its own advantage estimator and mask, a lagging sampler, tfjs rollouts", async () => {
    const objective = { beta: 0.04, samplerRefreshPeriod: 2, advantageEpsilon: 0.5 };
    const rollout = { promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, temperature: 1 };
    const train = { steps: 3, iterations: 1, minibatchSize: 4 };
    const builtIn = await run({
      objective: { name: "grpo-offpolicy", ...objective },
      advantage: undefined,
      rollout: { ...rollout, engine: "tfjs" },
      train,
    });
    const copies = await run({
      objective: { name: "copy-grpo-offpolicy", ...objective },
      advantage: undefined,
      rollout: { ...rollout, engine: "copy-tfjs" },
      train,
    });
    expect(copies).toEqual(builtIn);
    // The objective's own estimator (eq. 2: population std, ε = 0.5 under the root; eq. 8's mask) was
    // used, not the config default: with TRL's group estimator the advantages differ.
    const withGroup = await run({
      objective: { name: "grpo-offpolicy", ...objective },
      advantage: "group",
      rollout: { ...rollout, engine: "tfjs" },
      train,
    });
    expect(withGroup[0]["advantage/std"]).not.toBeCloseTo(builtIn[0]["advantage/std"], 3);
  });
});
