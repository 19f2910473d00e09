import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CharTokenizer, GptModel, selectEngine } from "@rlts/backend-tfjs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type CliIo, runCli } from "../../src/cli/run-cli.js";
import { GrpoTrainer, parseConfig, saveModelCheckpoint } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

function io(): CliIo & { out: (l: string) => void; lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    onInterrupt: () => () => {},
  };
}

describe("starting from a base checkpoint (the supervised warm-up's output)", () => {
  it("loads the weights and tokenizer, starts AdamW afresh, and rlts eval needs the config for it", async () => {
    await selectEngine({ prefer: "cpu", log: () => {} });
    const dir = await tempRunDir();
    const tokenizer = CharTokenizer.fromText("0123456789+-= ", {
      multiCharTokens: ["<answer>", "</answer>"],
    });
    const model = new GptModel({
      vocabSize: tokenizer.vocabSize,
      contextLength: 24,
      dModel: 16,
      nLayers: 1,
      nHeads: 2,
      seed: 99,
      optimizer: { lr: 0.01 },
    });
    // One warm-up step, so the saved AdamW state is not the initial one.
    model.trainStep(() => model.languageModelLoss([tokenizer.encode("1 + 2=3", { bos: true, eos: true })]));
    await saveModelCheckpoint(join(dir, "base.ckpt"), { model, tokenizer }, { step: 1 });

    const { model: _random, ...rest } = tinyConfig("run");
    const config = { ...rest, model: { checkpoint: "base.ckpt" }, train: { steps: 1 } };
    const trainer = await GrpoTrainer.create(parseConfig(config), { baseDir: dir, log: () => {} });
    expect(trainer.policy.getFlatParams()).toEqual(model.getFlatParams());
    expect(trainer.policy.getOptimizerState().step).toBe(0);
    expect(trainer.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    await trainer.dispose();
    model.dispose();

    const noConfig = io();
    expect(await runCli(["eval", join(dir, "base.ckpt")], noConfig)).toBe(1);
    expect(noConfig.errors.join("\n")).toContain(
      "holds no run config (a base model); pass one with --config",
    );

    await writeFile(join(dir, "grpo.yaml"), stringify(config));
    const withConfig = io();
    expect(
      await runCli(
        ["eval", join(dir, "base.ckpt"), "--config", join(dir, "grpo.yaml"), "--limit", "3"],
        withConfig,
      ),
    ).toBe(0);
    expect(JSON.parse(withConfig.lines.at(-1)!)).toMatchObject({ label: "step 1", n: 3 });
  });
});
