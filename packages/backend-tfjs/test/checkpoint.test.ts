import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, ShapeError } from "@rlts/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  GptModel,
  loadCheckpoint,
  readCheckpointManifest,
  saveCheckpoint,
  selectEngine,
} from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });
const dir = await mkdtemp(join(tmpdir(), "rlts-ckpt-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const config = { vocabSize: 8, contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, optimizer: { lr: 1e-2 } };
const batch = [Int32Array.from([1, 2, 3, 4, 5]), Int32Array.from([5, 4, 3, 2, 1])];

describe("checkpoints", () => {
  it("restores weights, AdamW state, RNG state and step: training resumes bit-for-bit", async () => {
    const a = new GptModel({ ...config, seed: 1 });
    a.trainStep(() => a.languageModelLoss(batch));
    a.trainStep(() => a.languageModelLoss(batch));
    const rng = createRng(42);
    rng.next();
    const path = join(dir, "a.ckpt");
    await saveCheckpoint(path, a, { step: 2, rng, metadata: { note: "two steps" } });
    const expectedDraw = rng.next();
    a.trainStep(() => a.languageModelLoss(batch));

    // A model with different initial weights and fresh moments picks up exactly where `a` was.
    const b = new GptModel({ ...config, seed: 2 });
    const loaded = await loadCheckpoint(path, b);
    expect(loaded.step).toBe(2);
    expect(loaded.metadata).toEqual({ note: "two steps" });
    expect(loaded.rng!.next()).toBe(expectedDraw);
    expect(b.getOptimizerState().step).toBe(2);
    b.trainStep(() => b.languageModelLoss(batch));
    for (const [name, t] of a.getWeights()) expect(b.getWeights().get(name)!.data, name).toEqual(t.data);
    a.dispose();
    b.dispose();
  });

  it("writes atomically through a temporary file and replaces an older checkpoint", async () => {
    const model = new GptModel({ ...config, seed: 3 });
    const path = join(dir, "atomic.ckpt");
    await writeFile(path, "an older checkpoint");
    await saveCheckpoint(path, model, { step: 7 });
    expect((await readdir(dir)).filter((f) => f.startsWith("atomic"))).toEqual(["atomic.ckpt"]);
    const manifest = await readCheckpointManifest(path);
    expect(manifest.step).toBe(7);
    expect(manifest.format).toBe("rlts-tfjs-checkpoint");
    // Layout: magic, header length, JSON, padding, then 3 float32 copies (weights, m, v) of every tensor.
    const bytes = await readFile(path);
    expect(bytes.toString("ascii", 0, 8)).toBe("RLTSCKPT");
    const headerLength = bytes.readUInt32LE(8);
    const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
    expect(bytes.length - dataStart).toBe(3 * model.numParameters * 4);
    model.dispose();
  });

  it("refuses a checkpoint of another shape, naming the tensor and both shapes, and changes nothing", async () => {
    const small = new GptModel({ ...config, seed: 4 });
    const wide = new GptModel({ ...config, dModel: 12, nHeads: 2, seed: 4 });
    const path = join(dir, "wide.ckpt");
    await saveCheckpoint(path, wide);
    const before = small.getFlatParams();
    const error = await loadCheckpoint(path, small).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShapeError);
    expect((error as Error).message).toBe(`checkpoint ${path}: tensor "wte": expected [8, 8], got [8, 12]`);
    expect(small.getFlatParams()).toEqual(before);
    await writeFile(join(dir, "junk.ckpt"), "not a checkpoint at all");
    await expect(loadCheckpoint(join(dir, "junk.ckpt"), small)).rejects.toThrow(/bad magic/);
    small.dispose();
    wide.dispose();
  });
});
