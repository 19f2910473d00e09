import { createContainer, getRegistry, type PluginKind } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { describe, expect, it } from "vitest";
import { MemoryMetricsSink, type OnPolicyOptions, OnPolicyTrainer } from "../src/index.js";

/** `copy-<name>`: the built-in's own instance answering to another name. */
function registerCopies(container: DependencyContainer, copies: readonly [PluginKind, string][]): void {
  const registry = getRegistry(container);
  for (const [kind, name] of copies) {
    registry.register(kind, `copy-${name}`, (options, context) =>
      Object.create(context.registry.create(kind, name, options, context.container), {
        name: { value: `copy-${name}` },
      }),
    );
  }
}

/** A container with the built-ins and `copy-ppo`, `copy-trpo`, `copy-gae` registered. */
async function containerWithCopies(): Promise<DependencyContainer> {
  const container = createContainer();
  // A first trainer adds the built-ins the copies delegate to.
  (await OnPolicyTrainer.create({ engine: "cpu", totalSteps: 256 }, { container })).dispose();
  registerCopies(container, [
    ["objective", "ppo"],
    ["objective", "trpo"],
    ["advantage", "gae"],
  ]);
  return container;
}

async function train(container: DependencyContainer, options: OnPolicyOptions) {
  const sink = new MemoryMetricsSink();
  const trainer = await OnPolicyTrainer.create(
    { numEnvs: 4, numSteps: 64, totalSteps: 3 * 256, minibatches: 2, seed: 5, engine: "cpu", ...options },
    { container, sink },
  );
  await trainer.train();
  const params = Array.from(trainer.policy.getFlatParams());
  trainer.dispose();
  // Wall-clock throughput is the only figure allowed to differ.
  const rows = sink.rows.map(({ step, metrics }) => {
    const { steps_per_second: _, ...rest } = metrics;
    return { step, metrics: rest };
  });
  return { rows, params };
}

describe("the environment trainer treats a renamed built-in like the built-in", () => {
  it.each([
    ["ppo with a target-KL early stop", { objective: { name: "ppo", targetKl: 0.001 } }],
    ["trpo (its own policy step, the value fit after it)", { objective: { name: "trpo" } }],
  ] as const)("%s", async (_, base) => {
    const container = await containerWithCopies();
    const builtIn = await train(container, {
      ...base,
      advantage: { name: "gae", gamma: 0.99, lambda: 0.95 },
    });
    const copy = await train(container, {
      objective: { ...base.objective, name: `copy-${base.objective.name}` },
      advantage: { name: "copy-gae", gamma: 0.99, lambda: 0.95 },
    });
    expect(copy.rows).toEqual(builtIn.rows);
    expect(copy.params).toEqual(builtIn.params);
  });
});
