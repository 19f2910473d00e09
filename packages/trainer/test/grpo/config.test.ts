import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, PluginNotFoundError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { ConfigValidationError, GrpoTrainer, loadConfig, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

function validationError(value: unknown): ConfigValidationError {
  try {
    parseConfig(value, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return error as ConfigValidationError;
  }
  throw new Error("parseConfig accepted a bad config");
}

describe("GRPO config validation", () => {
  it("fills in documented defaults", () => {
    const config = parseConfig(tinyConfig("run"));
    expect(config.rollout.engine).toBe("onnx");
    expect(config.reference).toEqual({ enabled: true, resetEvery: 0 });
    expect(config.advantage).toBe("group");
    expect(config.logging.keepCheckpoints).toBe(3);
    expect(config.optimizer.maxGradNorm).toBe(1);
  });

  it("names the dotted field and the allowed values of an enum", () => {
    const error = validationError({ ...tinyConfig("run"), prompt: { split: "dev" } });
    expect(error.field).toBe("prompt.split");
    expect(error.message).toContain('prompt.split: got "dev"; use one of "train", "test"');
    expect(error).toBeInstanceOf(ConfigError);
  });

  it("takes the rollout engine by plugin name, and names the field and the known engines otherwise", async () => {
    // rollout.engine is an engine plugin (built-in onnx and tfjs, or a third party's), not a fixed enum.
    const config = parseConfig({ ...tinyConfig(await tempRunDir()), rollout: { engine: "vllm" } });
    const error = await GrpoTrainer.create(config, { log: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginNotFoundError);
    expect((error as Error).message).toContain('rollout.engine: got "vllm"; use one of "onnx", "tfjs"');
  });

  it("names a misspelt option by its full path", () => {
    const error = validationError({ ...tinyConfig("run"), train: { steps: 2, iteratons: 2 } });
    expect(error.field).toBe("train.iteratons");
    expect(error.message).toContain("unknown option");
  });

  it("reports every bad field, each with its value", () => {
    const base = tinyConfig("run");
    const error = validationError({ ...base, seed: -1, rollout: { groupSize: 1 }, train: undefined });
    const fields = error.issues.map((i) => i.field).sort();
    expect(fields).toEqual(["rollout.groupSize", "seed", "train"]);
    expect(error.message).toMatch(/rollout\.groupSize: got 1; use a value ≥ 2/);
    expect(error.message).toMatch(/train: got undefined; required/);
  });

  it("rejects a model given both as a checkpoint and as a random GPT", () => {
    const base = tinyConfig("run");
    const error = validationError({ ...base, model: { ...base.model, checkpoint: "base.ckpt" } });
    expect(error.field).toBe("model");
    expect(error.message).toContain("either checkpoint");
  });

  it("reads YAML and resolves relative paths against the config file's folder", async () => {
    const dir = await tempRunDir();
    await mkdir(join(dir, "data"));
    await writeFile(
      join(dir, "data", "tiny.jsonl"),
      `${JSON.stringify({ question: "1+1", answer: "2" })}\n${JSON.stringify({ question: "2+2", answer: "4" })}\n`,
    );
    const yaml = [
      "seed: 3",
      "runDir: out",
      "engine: { prefer: cpu }",
      "task: { name: jsonl-prompts, path: data/tiny.jsonl, answerFormat: plain }",
      "model:",
      "  gpt: { contextLength: 16, dModel: 8, nLayers: 1, nHeads: 2 }",
      "  tokenizer: { text: '0123456789+=' }",
      "rollout: { promptsPerStep: 1, groupSize: 2, maxNewTokens: 2 }",
      "reward: math-correctness",
      "train: { steps: 1 }",
      "logging: { progress: none, report: false }",
    ].join("\n");
    await writeFile(join(dir, "grpo.yaml"), yaml);
    const loaded = await loadConfig(join(dir, "grpo.yaml"));
    expect(loaded.baseDir).toBe(dir);
    const trainer = await GrpoTrainer.create(loaded.config, { baseDir: loaded.baseDir, log: () => {} });
    try {
      expect(trainer.runDir).toBe(join(dir, "out"));
      expect(trainer.task.size("train")).toBe(2);
    } finally {
      await trainer.dispose();
    }
  });

  it("reports a YAML syntax error with the file name", async () => {
    const dir = await tempRunDir();
    await writeFile(join(dir, "bad.yaml"), "train: { steps: 1\n");
    await expect(loadConfig(join(dir, "bad.yaml"))).rejects.toThrow(
      /config: got ".*bad\.yaml"; not valid YAML/,
    );
  });

  it("lists the registered names when a plugin name is unknown", async () => {
    const dir = await tempRunDir();
    const config = parseConfig(tinyConfig(dir, { advantage: "grup" }));
    const error = await GrpoTrainer.create(config, { log: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginNotFoundError);
    expect((error as Error).message).toMatch(
      /no advantage plugin named "grup"; known advantage plugins: .*"group"/,
    );
  });

  it("checks that minibatches divide the generation batch", async () => {
    const dir = await tempRunDir();
    // promptsPerStep × groupSize = 2 × 4 = 8 completions; 3 does not divide 8.
    const config = parseConfig(tinyConfig(dir, { train: { steps: 1, minibatchSize: 3 } }));
    await expect(GrpoTrainer.create(config, { log: () => {} })).rejects.toThrow(
      /train\.minibatchSize: got 3; use a divisor of the generation batch promptsPerStep × groupSize = 8/,
    );
  });
});
