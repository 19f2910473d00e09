import { MlpPolicy, type MlpPolicyOptions, selectEngine } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { mlpArchitecture, OnnxMlpPolicy } from "../src/index.js";

// The MLP policies of backend-tfjs on onnxruntime: same head outputs and values, and `act` draws the
// same actions from the same seed.

await selectEngine({ prefer: "wasm", log: () => {} });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const cases: Record<string, MlpPolicyOptions> = {
  "categorical, separate value trunk, tanh": { obsDim: 4, action: { type: "categorical", n: 3 }, seed: 1 },
  "Gaussian, shared trunk, relu": {
    obsDim: 3,
    action: { type: "gaussian", dim: 2, initLogStd: -0.3 },
    hidden: [16, 8],
    activation: "relu",
    sharedTrunk: true,
    seed: 2,
  },
  "categorical, no value head, no hidden layer": {
    obsDim: 5,
    action: { type: "categorical", n: 4 },
    hidden: [],
    valueHead: false,
    seed: 3,
  },
};

describe("OnnxMlpPolicy against backend-tfjs MlpPolicy", () => {
  for (const [label, options] of Object.entries(cases)) {
    it(`${label}: same head output, values and sampled actions`, async () => {
      const policy = new MlpPolicy(options);
      // Train a step so the weights are not just the init (the head's 0.01 gain makes logits tiny).
      const rng = createRng(5);
      const B = 16;
      const obs = Float32Array.from({ length: B * options.obsDim }, () => rng.normal());
      const first = policy.act(obs, createRng(1));
      policy.trainStep(() => {
        const { logprob } = policy.evaluate(obs, first.actions);
        return tf.neg(tf.mean(logprob)) as tf.Scalar;
      });
      const onnx = await OnnxMlpPolicy.create(mlpArchitecture(policy), policy.getWeights(), {
        intraOpNumThreads: 1,
      });
      const forward = await onnx.forward(obs);
      const expectedOut = policy.headOutput(obs);
      expect(maxAbsDiff(forward.out, expectedOut.dataSync())).toBeLessThan(1e-5);
      expectedOut.dispose();
      if (options.valueHead !== false) {
        const v = policy.value(obs);
        expect(maxAbsDiff(forward.values!, v.dataSync())).toBeLessThan(1e-5);
        v.dispose();
      } else expect(forward.values).toBeUndefined();
      for (const greedy of [false, true]) {
        const a = await onnx.act(obs, createRng(9), { greedy });
        const b = policy.act(obs, createRng(9), { greedy });
        if (options.action.type === "categorical") expect(a.actions).toEqual(b.actions);
        else expect(maxAbsDiff(a.actions, b.actions)).toBeLessThan(1e-5);
        expect(maxAbsDiff(a.logprobs, b.logprobs)).toBeLessThan(1e-4);
      }
      // Weight sync after another step.
      policy.trainStep(() => {
        const { logprob } = policy.evaluate(obs, first.actions);
        return tf.neg(tf.mean(logprob)) as tf.Scalar;
      });
      onnx.setWeights(policy.getWeights());
      const synced = await onnx.forward(obs);
      const after = policy.headOutput(obs);
      expect(maxAbsDiff(synced.out, after.dataSync())).toBeLessThan(1e-5);
      after.dispose();
      await onnx.dispose();
      await expect(onnx.forward(obs)).rejects.toThrow(/after dispose/);
      policy.dispose();
    });
  }

  it("rejects observations of the wrong width, naming obs", async () => {
    const policy = new MlpPolicy(cases["categorical, separate value trunk, tanh"]);
    const onnx = await OnnxMlpPolicy.create(mlpArchitecture(policy), policy.getWeights());
    await expect(onnx.forward(new Float32Array(6))).rejects.toThrow(/obs/);
    await expect(onnx.forward(Float32Array.from([1, 2, Number.NaN, 4]))).rejects.toThrow(/obs\[2\]/);
    await onnx.dispose();
    policy.dispose();
  });
});

describe("MLP policy files", () => {
  it("round-trips through a file with stored weights, and loads a bare file after setWeights", async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { exportMlpPolicy } = await import("../src/index.js");
    const dir = mkdtempSync(join(tmpdir(), "rlts-onnx-mlp-"));
    const policy = new MlpPolicy({
      obsDim: 3,
      action: { type: "gaussian", dim: 2, initLogStd: 0.2 },
      seed: 4,
    });
    const obs = Float32Array.from([0.5, -1, 2, 0, 0.1, -0.3]);
    const stored = join(dir, "policy.onnx");
    writeFileSync(stored, exportMlpPolicy(mlpArchitecture(policy), { weights: policy.getWeights() }));
    const fromFile = await OnnxMlpPolicy.fromFile(stored);
    const out = await fromFile.forward(obs);
    const expected = policy.headOutput(obs);
    expect(maxAbsDiff(out.out, expected.dataSync())).toBeLessThan(1e-5);
    expect(Array.from(out.logStd!)).toEqual([0.2, 0.2].map(Math.fround));
    expected.dispose();
    const bare = join(dir, "bare.onnx");
    writeFileSync(bare, exportMlpPolicy(mlpArchitecture(policy)));
    const noWeights = await OnnxMlpPolicy.fromFile(bare);
    await expect(noWeights.forward(obs)).rejects.toThrow(/setWeights/);
    noWeights.setWeights(policy.getWeights());
    expect((await noWeights.forward(obs)).out).toEqual(out.out);
    await fromFile.dispose();
    await noWeights.dispose();
    policy.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
});
