import "reflect-metadata";
import { ConfigError, createContainer, createPlugin } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  type AdamWOptions,
  learningRateAt,
  register,
  resolveSchedule,
  selectEngine,
  TrainableModel,
} from "../src/index.js";

const messages: string[] = [];
const engine = await selectEngine({ prefer: "auto", log: (m) => messages.push(m) });

describe("engine selection", () => {
  it("falls back to the best backend that starts and logs the choice and the reason once", async () => {
    expect(["tensorflow-node-gpu", "tensorflow-node", "wasm"]).toContain(engine.device);
    expect(messages).toHaveLength(1);
    if (engine.device === "wasm") {
      // Neither optional peer dependency can be installed on this kind of machine.
      expect(messages[0]).toBe("tfjs engine: wasm (tfjs-node-gpu, tfjs-node not installed)");
    }
    await selectEngine({ prefer: "auto", log: (m) => messages.push(m) });
    expect(messages).toHaveLength(1);
  });

  it("fails clearly when a forced backend is missing or unknown", async () => {
    if (engine.device === "wasm") {
      await expect(selectEngine({ prefer: "tfjs-node", log: () => {} })).rejects.toThrow(
        /engine\.prefer.*not installed; install @tensorflow\/tfjs-node/,
      );
    }
    await expect(selectEngine({ prefer: "gpu" as never })).rejects.toThrow(ConfigError);
  });

  it("registers the tfjs engine plugin, built from a config and started with ready()", async () => {
    const container = createContainer();
    register(container);
    const built = createPlugin(container, "engine", { name: "tfjs", prefer: "wasm" });
    expect(() => built.device).toThrow(/ready/);
    await built.ready?.();
    expect(built.name).toBe("tfjs");
    expect(built.device).toBe("wasm");
    expect(() => createPlugin(container, "engine", { name: "tfjs", prefer: "tpu" })).toThrow(
      /engine\.prefer/,
    );
  });
});

describe("learning-rate schedule", () => {
  it("warms up linearly, then decays as configured (values worked by hand)", () => {
    // lr = 1, warmup 2, total 6: warmup gives (step+1)/2; progress p = (step − 2)/4 afterwards.
    const cosine = resolveSchedule({ lr: 1, warmupSteps: 2, decay: "cosine", totalSteps: 6 });
    expect([0, 1, 2, 4, 6, 9].map((s) => learningRateAt(cosine, s))).toEqual([
      0.5,
      1,
      1, // p = 0: ½(1 + cos 0) = 1
      expect.closeTo(0.5, 12), // p = ½: ½(1 + cos π/2) = ½
      expect.closeTo(0, 12), // p = 1
      expect.closeTo(0, 12), // clipped at p = 1
    ]);
    const linear = resolveSchedule({
      lr: 1,
      warmupSteps: 2,
      decay: "linear",
      totalSteps: 6,
      minLrRatio: 0.1,
    });
    // step 4: 1 − (1 − 0.1)·½ = 0.55
    expect(learningRateAt(linear, 4)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(resolveSchedule({ lr: 0.3 }), 1000)).toBe(0.3);
    expect(() => resolveSchedule({ decay: "cosine", totalSteps: 0 })).toThrow(/optimizer\.totalSteps/);
    expect(() => resolveSchedule({ lr: -1 })).toThrow(/optimizer\.lr/);
  });
});

class TwoParams extends TrainableModel {
  constructor(options: AdamWOptions) {
    super(options);
    this.params.add("vec", [2], Float32Array.from([1, -2]));
    this.params.add("mat", [1, 1], Float32Array.from([0.5]));
    this.initOptimizer();
  }
  /** ½‖θ‖², whose gradient is θ itself. */
  halfSquare = () => tf.mul(tf.addN(this.params.list().map((v) => tf.sum(tf.square(v)))), 0.5) as tf.Scalar;
}

describe("AdamW", () => {
  it("takes the steps of Loshchilov & Hutter's Algorithm 2 (worked by hand)", () => {
    const model = new TwoParams({ lr: 0.1, weightDecay: 0.5, maxGradNorm: 0 });
    const first = model.trainStep(model.halfSquare);
    // ‖g‖ = ‖(1, −2, 0.5)‖ = √5.25; loss = ½·5.25.
    expect(first.loss).toBeCloseTo(2.625, 6);
    expect(first.gradNorm).toBeCloseTo(Math.sqrt(5.25), 6);
    // Step 1: m̂ = g, v̂ = g², so θ ← θ − 0.1·sign(g); the rank-2 "mat" first decays: 0.5·(1 − 0.1·0.5).
    const w1 = model.getWeights();
    expect([...w1.get("vec")!.data]).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-1.9, 6)]);
    expect(w1.get("mat")!.data[0]).toBeCloseTo(0.475 - 0.1, 6);
    model.trainStep(model.halfSquare);
    // Step 2 for vec[0], g = 0.9: m = 0.9·0.1 + 0.1·0.9 = 0.18, v = 0.999·0.001 + 0.001·0.81 = 0.001809,
    // m̂ = 0.18/0.19, v̂ = 0.001809/0.001999, θ = 0.9 − 0.1·m̂/√v̂ = 0.800412…
    const mHat = 0.18 / 0.19;
    const vHat = 0.001809 / (1 - 0.999 ** 2);
    expect(model.getWeights().get("vec")!.data[0]).toBeCloseTo(0.9 - (0.1 * mHat) / Math.sqrt(vHat), 5);
    model.dispose();
  });

  it("reports the norm before clipping and refuses a non-finite loss without changing weights", () => {
    const model = new TwoParams({ lr: 0.1, maxGradNorm: 1 });
    expect(model.trainStep(model.halfSquare).gradNorm).toBeCloseTo(Math.sqrt(5.25), 6);
    const before = model.getFlatParams();
    expect(() => model.trainStep(() => tf.div(model.halfSquare(), 0) as tf.Scalar)).toThrow(
      /loss\[0\] is Infinity/,
    );
    expect(model.getFlatParams()).toEqual(before);
    model.dispose();
  });
});
