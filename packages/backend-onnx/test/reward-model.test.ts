import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CharTokenizer } from "@rlts/backend-tfjs";
import { createContainer, createPlugin } from "@rlts/core";
import { afterAll, describe, expect, it } from "vitest";
import { GraphBuilder, OnnxRewardModel, register } from "../src/index.js";

// The onnx-reward-model plugin on small real ONNX models built here, with scores worked by hand.

const dir = mkdtempSync(join(tmpdir(), "rlts-onnx-reward-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tokenizer = CharTokenizer.fromText("0123456789+=a");
const seven = tokenizer.encode("7")[0];

/** score[b] = Σ_t mask[b,t]·[ids[b,t] = target] (how often `target` occurs), as [B] or [B, 1]. */
function countModel(file: string, target: number, keepDims: boolean): string {
  const g = new GraphBuilder("count");
  const ids = g.input("input_ids", "int64", ["batch", "seq"]);
  const mask = g.input("attention_mask", "int64", ["batch", "seq"]);
  const hit = g.op1("Cast", [g.op1("Equal", [ids, g.constant([target], "int64", [])])], { to: 1 });
  const counted = g.op1("Mul", [hit, g.op1("Cast", [mask], { to: 1 })]);
  const score = g.op1("ReduceSum", [counted, g.constant([1], "int64")], { keepdims: keepDims ? 1 : 0 });
  g.output(score, "score", "float32", keepDims ? ["batch", 1] : ["batch"]);
  const path = join(dir, file);
  writeFileSync(path, g.toBytes());
  return path;
}

/** score[b] = number of ids (no mask input: every position, pads included) — shows the padding. */
function lengthModel(file: string): string {
  const g = new GraphBuilder("length");
  const ids = g.input("ids", "int64", ["batch", "seq"]);
  const ones = g.op1("Cast", [g.op1("GreaterOrEqual", [ids, g.constant([0], "int64", [])])], { to: 1 });
  g.output(g.op1("ReduceSum", [ones, g.constant([1], "int64")], { keepdims: 0 }), "n", "float32", ["batch"]);
  const path = join(dir, file);
  writeFileSync(path, g.toBytes());
  return path;
}

const inputs = [
  { prompt: "7+", completion: "77a7", fields: {} }, // completion: 3 sevens; prompt + completion: 4
  { prompt: "1+1=", completion: "2", fields: {} }, // 0 and 0
  { prompt: "", completion: "70", fields: {} }, // 1 and 1
];

describe("onnx-reward-model", () => {
  it("scores prompt + completion with a [B] output, masking the padding", async () => {
    const model = new OnnxRewardModel({
      path: countModel("count.onnx", seven, false),
      tokenizer: tokenizer.toJSON(),
    });
    expect(await model.score(inputs)).toEqual([4, 0, 1]);
    await model.dispose();
    await expect(model.score(inputs)).rejects.toThrow(/after dispose/);
  });

  it("scores completions alone with a [B, 1] output and a tokenizer function, in small batches", async () => {
    const model = new OnnxRewardModel({
      path: countModel("count-keep.onnx", seven, true),
      tokenizer: (text) => tokenizer.encode(text),
      input: "completion",
      batchSize: 2,
      name: "sevens",
    });
    expect(model.name).toBe("sevens");
    expect(await model.score(inputs)).toEqual([3, 0, 1]);
    await model.dispose();
  });

  it("right-pads with padId where the model has no mask input, and crops to maxLength", async () => {
    // Texts of 6, 5 and 2 tokens padded to 6: a model without a mask sees 6 ids in every row.
    const path = lengthModel("length.onnx");
    const padded = new OnnxRewardModel({ path, tokenizer });
    expect(await padded.score(inputs)).toEqual([6, 6, 6]);
    // maxLength 3 keeps the last 3 ids: rows of 3, 3 and 2 tokens, padded to 3.
    const cropped = new OnnxRewardModel({ path, tokenizer, maxLength: 3 });
    expect(await cropped.score(inputs)).toEqual([3, 3, 3]);
    await padded.dispose();
    await cropped.dispose();
  });

  it("is a registered reward plugin that takes the tokenizer as JSON or as a JSON file", async () => {
    const container = createContainer();
    register(container);
    const tokenizerFile = join(dir, "tokenizer.json");
    writeFileSync(tokenizerFile, JSON.stringify(tokenizer.toJSON()));
    const reward = createPlugin(container, "reward", {
      name: "onnx-reward-model",
      path: countModel("count-plugin.onnx", seven, false),
      tokenizer: tokenizerFile,
      input: "completion",
    });
    expect(await reward.score(inputs)).toEqual([3, 0, 1]);
    await (reward as OnnxRewardModel).dispose();
  });

  it("rejects bad options and broken files with errors naming the field or the file", () => {
    const path = countModel("count-opts.onnx", seven, false);
    expect(() => new OnnxRewardModel({ path: "", tokenizer })).toThrow(/reward\.path/);
    expect(() => new OnnxRewardModel({ path, tokenizer: 5 as never })).toThrow(/reward\.tokenizer/);
    expect(() => new OnnxRewardModel({ path, tokenizer, input: "prompt" as never })).toThrow(/reward\.input/);
    expect(() => new OnnxRewardModel({ path, tokenizer, batchSize: 0 })).toThrow(/reward\.batchSize/);
    expect(() => new OnnxRewardModel({ path: join(dir, "nope.onnx"), tokenizer })).toThrow(
      /nope\.onnx.*no such file/,
    );
    const cut = join(dir, "cut.onnx");
    writeFileSync(cut, new Uint8Array(0));
    expect(() => new OnnxRewardModel({ path: cut, tokenizer })).toThrow(/cut\.onnx/);
  });

  it("names the output when the model returns the wrong number of scores", async () => {
    // Output [B, T] (no reduction): not one score per input.
    const g = new GraphBuilder("bad");
    const ids = g.input("input_ids", "int64", ["batch", "seq"]);
    g.output(g.op1("Cast", [ids], { to: 1 }), "per_token", "float32", ["batch", "seq"]);
    const path = join(dir, "bad.onnx");
    writeFileSync(path, g.toBytes());
    const model = new OnnxRewardModel({ path, tokenizer });
    await expect(model.score(inputs)).rejects.toThrow(/per_token/);
    await model.dispose();
  });
});
