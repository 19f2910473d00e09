import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import { StateError } from "@rlts/core";
import { afterAll, describe, expect, it } from "vitest";
import { exportGpt, GraphBuilder, OnnxGpt, OnnxModelFileError, readOnnxModelFile } from "../src/index.js";

// Exported files on disk: they load in onnxruntime with or without stored weights, stored weights are
// overridden by weight sync, and broken files give errors that name the file and the problem.

await selectEngine({ prefer: "wasm", log: () => {} });

const dir = mkdtempSync(join(tmpdir(), "rlts-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shape = { vocabSize: 9, contextLength: 10, dModel: 8, nLayers: 1, nHeads: 2 } as const;
const sequences = [Int32Array.from([1, 5, 2, 7, 3]), Int32Array.from([4, 4, 8])];
const request = { sequences, start: [1, 1] };

function write(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("GPT files", () => {
  it("loads files with stored weights, and weight sync overrides them without re-export", async () => {
    const a = new GptModel({ ...shape, seed: 1, initStd: 0.3 });
    const b = new GptModel({ ...shape, seed: 2, initStd: 0.3 });
    const full = write("full.onnx", exportGpt(a.config, { weights: a.getWeights() }));
    const decode = write("decode.onnx", exportGpt(a.config, { kvCache: true, weights: a.getWeights() }));
    const onnx = await OnnxGpt.fromFiles({ full, decode });
    expect(onnx.config).toEqual(a.config);
    const fromFile = await onnx.score(request);
    const expectedA = await a.score(request);
    fromFile.logprobs.forEach((lp, i) => {
      expect(maxAbsDiff(lp, expectedA.logprobs[i])).toBeLessThan(1e-4);
    });
    onnx.setWeights(b.getWeights());
    const synced = await onnx.score(request);
    const expectedB = await b.score(request);
    synced.logprobs.forEach((lp, i) => {
      expect(maxAbsDiff(lp, expectedB.logprobs[i])).toBeLessThan(1e-4);
      expect(maxAbsDiff(lp, expectedA.logprobs[i])).toBeGreaterThan(1e-2);
    });
    const greedy = { prompts: [Int32Array.from([1, 2])], maxNewTokens: 4, temperature: 0 };
    const { createRng } = await import("@rlts/core");
    expect((await onnx.generate({ ...greedy, rng: createRng(0) })).completions).toEqual(
      (await b.generate({ ...greedy, rng: createRng(0) })).completions,
    );
    await onnx.dispose();
    a.dispose();
    b.dispose();
  });

  it("needs setWeights before use when the files hold no weights", async () => {
    const model = new GptModel({ ...shape, seed: 3 });
    const full = write("bare-full.onnx", exportGpt(model.config));
    const decode = write("bare-decode.onnx", exportGpt(model.config, { kvCache: true }));
    const onnx = await OnnxGpt.fromFiles({ full, decode });
    await expect(onnx.score(request)).rejects.toThrow(StateError);
    onnx.setWeights(model.getWeights());
    const got = await onnx.score(request);
    const expected = await model.score(request);
    expect(maxAbsDiff(got.logprobs[0], expected.logprobs[0])).toBeLessThan(1e-4);
    // The two graphs are not interchangeable.
    await expect(OnnxGpt.fromFiles({ full: decode, decode: full })).rejects.toThrow(
      /bare-decode\.onnx.*KV-cache graph/,
    );
    await onnx.dispose();
    await expect(onnx.score(request)).rejects.toThrow(/after dispose/);
    model.dispose();
  });

  it("names a missing file", async () => {
    const missing = join(dir, "missing.onnx");
    await expect(OnnxGpt.fromFiles({ full: missing, decode: missing })).rejects.toThrow(
      /missing\.onnx.*no such file/,
    );
    expect(() => readOnnxModelFile(missing)).toThrow(OnnxModelFileError);
  });

  it("names a truncated file", async () => {
    const model = new GptModel({ ...shape, seed: 4 });
    const bytes = exportGpt(model.config, { weights: model.getWeights() });
    const decode = write("ok-decode.onnx", exportGpt(model.config, { kvCache: true }));
    for (const keep of [0.5, 0.9, 0.02]) {
      const cut = write(`cut-${keep}.onnx`, bytes.subarray(0, Math.floor(bytes.length * keep)));
      await expect(OnnxGpt.fromFiles({ full: cut, decode }), `kept ${keep}`).rejects.toThrow(
        new RegExp(`cut-${keep}\\.onnx.*truncated`),
      );
    }
    const empty = write("empty.onnx", new Uint8Array(0));
    expect(() => readOnnxModelFile(empty)).toThrow(/empty\.onnx.*empty/);
    model.dispose();
  });

  it("names a file of the wrong opset", async () => {
    // A valid model (y = x + x) stamped opset 11: too old for the GPT loader (LayerNormalization needs 17).
    const g = new GraphBuilder("add");
    const x = g.input("x", "float32", [2]);
    g.output(g.op1("Add", [x, x]), "y", "float32", [2]);
    const old = write("opset11.onnx", g.toBytes({ opset: 11, irVersion: 6 }));
    await expect(OnnxGpt.fromFiles({ full: old, decode: old })).rejects.toThrow(
      /opset11\.onnx.*wrong opset.*opset 11.*17/,
    );
    // And one newer than onnxruntime-node 1.30 runs, for any loader.
    const future = write("opset99.onnx", g.toBytes({ opset: 99, irVersion: 12 }));
    expect(() => readOnnxModelFile(future)).toThrow(/opset99\.onnx.*wrong opset.*opset 99/);
    // The same opset-11 model is fine where the loader accepts it.
    expect(readOnnxModelFile(old).opset).toBe(11);
  });
});
