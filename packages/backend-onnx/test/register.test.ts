import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import { createContainer, createPlugin, getRegistry } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { type OnnxEngine, register } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

describe("register", () => {
  it("adds the onnx engine and the onnx-reward-model reward, and nothing on import", () => {
    const container = createContainer();
    expect(getRegistry(container).list("engine")).toEqual([]);
    register(container);
    expect(getRegistry(container).list("engine")).toEqual(["onnx"]);
    expect(getRegistry(container).list("reward")).toEqual(["onnx-reward-model"]);
    expect(() => createPlugin(container, "engine", { name: "onnx", intraOpNumThreads: -1 })).toThrow(
      /engine\.intraOpNumThreads/,
    );
  });

  it("the engine opens models and releases every session on dispose", async () => {
    const container = createContainer();
    register(container);
    const engine = createPlugin(container, "engine", { name: "onnx", intraOpNumThreads: 1 }) as OnnxEngine;
    expect(engine.name).toBe("onnx");
    const tfModel = new GptModel({
      vocabSize: 6,
      contextLength: 6,
      dModel: 4,
      nLayers: 1,
      nHeads: 1,
      seed: 1,
    });
    const gpt = await engine.createGpt(tfModel.config, tfModel.getWeights());
    const request = { sequences: [Int32Array.from([1, 2, 3])], start: [1] };
    expect((await gpt.score(request)).logprobs[0].length).toBe(2);
    await engine.dispose();
    expect(gpt.isDisposed).toBe(true);
    await expect(gpt.score(request)).rejects.toThrow(/after dispose/);
    await expect(engine.createGpt(tfModel.config, tfModel.getWeights())).rejects.toThrow(/after dispose/);
    tfModel.dispose();
  });
});
