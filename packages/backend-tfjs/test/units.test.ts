import "reflect-metadata";
import { ConfigError, createContainer, createPlugin, createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  type AdamWOptions,
  CharTokenizer,
  learningRateAt,
  register,
  resolveSchedule,
  sampleFromLogits,
  samplingDistribution,
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

describe("sampling", () => {
  // logits log([1, 2, 4, 1]) give probabilities [1/8, 1/4, 1/2, 1/8].
  const logits = [0, Math.log(2), Math.log(4), 0];
  const d = (o: object) => [...samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1, ...o })];

  it("applies temperature, top-k and top-p as worked by hand", () => {
    expect(d({})).toEqual([0.125, 0.25, 0.5, 0.125].map((p) => expect.closeTo(p, 12)));
    expect(d({ topK: 2 })).toEqual([0, 1 / 3, 2 / 3, 0].map((p) => expect.closeTo(p, 12)));
    // Sorted masses 0.5, 0.25, …: 0.5 < 0.6, 0.75 ≥ 0.6, so tokens 2 and 1 stay.
    expect(d({ topP: 0.6 })).toEqual([0, 1 / 3, 2 / 3, 0].map((p) => expect.closeTo(p, 12)));
    expect(d({ topP: 0.5 })).toEqual([0, 0, 1, 0]);
    // T = 2 takes square roots: [1, √2, 2, 1]/(4 + √2).
    const z = 4 + Math.SQRT2;
    expect(d({ temperature: 2 })).toEqual(
      [1 / z, Math.SQRT2 / z, 2 / z, 1 / z].map((p) => expect.closeTo(p, 12)),
    );
    expect(d({ temperature: 0 })).toEqual([0, 0, 1, 0]);
  });

  it("returns the log-probability under the untempered softmax when greedy", () => {
    const { token, logprob } = sampleFromLogits(logits, { temperature: 0, topK: 0, topP: 1 }, createRng(0));
    expect(token).toBe(2);
    expect(logprob).toBeCloseTo(Math.log(0.5), 12);
  });

  it("returns the log-probability under softmax(z/T) when sampling at temperature T (TRL)", () => {
    // Logits [2, 1, 0], T = 0.7: z/T = [20/7, 10/7, 0], so log p(0) = −log(1 + e^(−10/7) + e^(−20/7))
    // = −log(1.29710) = −0.26013 (TRL `logits / temperature`); the untempered value would be −0.40761.
    // u < p(0) = 0.77092 draws token 0; a seed whose first draw is below it is found by search.
    const z = [2, 1, 0];
    let seed = 0;
    while (createRng(seed).next() >= 0.77) seed++;
    const { token, logprob } = sampleFromLogits(z, { temperature: 0.7, topK: 0, topP: 1 }, createRng(seed));
    expect(token).toBe(0);
    expect(logprob).toBeCloseTo(-Math.log(1 + Math.exp(-10 / 7) + Math.exp(-20 / 7)), 12);
    expect(logprob).toBeCloseTo(-0.26013, 5);
    // Top-k truncation is not part of the reported log-prob: softmax(z/T) before truncation.
    const k1 = sampleFromLogits(z, { temperature: 0.7, topK: 1, topP: 1 }, createRng(seed));
    expect(k1.logprob).toBeCloseTo(logprob, 12);
  });
});

describe("CharTokenizer", () => {
  const tok = CharTokenizer.fromText("cab", { multiCharTokens: ["<think>", "</think>"] });

  it("puts specials first, then multi-character tokens, then sorted characters", () => {
    expect(tok.vocab).toEqual(["<pad>", "<bos>", "<eos>", "<unk>", "<think>", "</think>", "a", "b", "c"]);
  });

  it("matches multi-character tokens greedily and maps unknown characters to <unk>", () => {
    const ids = tok.encode("a<think>b</think>z", { bos: true, eos: true });
    expect([...ids]).toEqual([1, 6, 4, 7, 5, 3, 2]);
    expect(tok.decode(ids)).toBe("<bos>a<think>b</think><unk><eos>");
    expect(tok.decode(ids, { skipSpecial: true })).toBe("a<think>b</think>");
  });

  it("round-trips through JSON and rejects bad vocabularies and ids", () => {
    const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
    expect(back.vocab).toEqual(tok.vocab);
    expect(() => new CharTokenizer(["a", "b"])).toThrow(/tokenizer\.vocab\[0\]/);
    expect(() => tok.decode([99])).toThrow(/ids\[0\]/);
  });
});
