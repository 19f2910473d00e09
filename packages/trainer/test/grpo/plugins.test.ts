import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PluginLoadError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

// Package names resolve from the config's folder; this package lists the example plugin as a dev dependency.
const packageDir = fileURLToPath(new URL("../..", import.meta.url));

describe("third-party plugins listed under plugins:", () => {
  it("are imported by package name and chosen by name like a built-in", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(
      tinyConfig(dir, {
        plugins: ["rlts-plugin-mean-baseline"],
        advantage: { name: "mean-baseline" },
        train: { steps: 1 },
      }),
    );
    const trainer = await GrpoTrainer.create(config, { log: () => {}, baseDir: packageDir });
    expect(trainer.estimator.name).toBe("mean-baseline");
    await trainer.train();
    await trainer.dispose();
    const [m] = readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    // A batch-mean baseline: advantages r − mean(r) sum to zero over the batch.
    expect(Math.abs(m["advantage/mean"])).toBeLessThan(1e-12);
    expect(m["advantage/std"]).toBeCloseTo(m["reward/std"], 12);
  });

  it("a package that is not installed names the package and how to install it", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(tinyConfig(dir, { plugins: ["rlts-plugin-does-not-exist"] }));
    const error = await GrpoTrainer.create(config, { log: () => {}, baseDir: packageDir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PluginLoadError);
    expect((error as Error).message).toMatch(
      /plugin package "rlts-plugin-does-not-exist": not found .*pnpm add/,
    );
  });
});
