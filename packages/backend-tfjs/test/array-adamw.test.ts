import { createRng } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { AdamW, ArrayAdamW, type ArrayParameter, selectEngine } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

const params = (): Map<string, ArrayParameter> =>
  new Map([
    ["vec", { shape: [2], data: Float32Array.from([1, -2]) }],
    ["mat", { shape: [1, 1], data: Float32Array.from([0.5]) }],
  ]);

describe("ArrayAdamW", () => {
  it("takes the steps of Loshchilov & Hutter's Algorithm 2 (the AdamW test's hand-worked numbers)", () => {
    const p = params();
    const opt = new ArrayAdamW(p, { lr: 0.1, weightDecay: 0.5 });
    // ½‖θ‖²: the gradient is θ. Step 1: m̂ = g, v̂ = g², θ ← θ − 0.1·sign(g); "mat" (rank 2) decays first.
    const grad = () => new Map([...p].map(([k, v]) => [k, v.data.slice()] as const));
    opt.apply(grad(), 1);
    expect([...p.get("vec")!.data]).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-1.9, 6)]);
    expect(p.get("mat")!.data[0]).toBeCloseTo(0.475 - 0.1, 6);
    opt.apply(grad(), 1);
    // Step 2 for vec[0], g = 0.9: m̂ = 0.18/0.19, v̂ = 0.001809/0.001999, θ = 0.9 − 0.1·m̂/√v̂.
    const mHat = 0.18 / 0.19;
    const vHat = 0.001809 / (1 - 0.999 ** 2);
    expect(p.get("vec")!.data[0]).toBeCloseTo(0.9 - (0.1 * mHat) / Math.sqrt(vHat), 5);
    expect(opt.step).toBe(2);
  });

  it("follows the tfjs AdamW step for step: schedule, clip scale, decay, parameters left out", () => {
    const rng = createRng(4);
    const shapes: [string, number[]][] = [
      ["w", [3, 4]],
      ["b", [4]],
      ["skipped", [2]],
    ];
    const init = new Map(
      shapes.map(([n, s]) => [n, Float32Array.from({ length: s[0] * (s[1] ?? 1) }, () => rng.normal())]),
    );
    const options = { lr: 0.05, weightDecay: 0.1, decay: "linear", totalSteps: 10, warmupSteps: 2 } as const;
    const variables = new Map(shapes.map(([n, s]) => [n, tf.variable(tf.tensor(init.get(n)!, s))]));
    const reference = new AdamW(variables, options);
    const arrays = new Map(shapes.map(([n, s]) => [n, { shape: s, data: init.get(n)!.slice() }]));
    const mine = new ArrayAdamW(arrays, options);
    for (let step = 0; step < 6; step++) {
      const grads = new Map(
        shapes
          .filter(([n]) => n !== "skipped")
          .map(
            ([n, s]) => [n, Float32Array.from({ length: s[0] * (s[1] ?? 1) }, () => rng.normal())] as const,
          ),
      );
      const scale = step % 2 ? 0.5 : 1;
      const shapeOf = new Map(shapes);
      tf.tidy(() =>
        reference.apply(new Map([...grads].map(([n, g]) => [n, tf.tensor(g, shapeOf.get(n))])), scale),
      );
      mine.apply(grads, scale);
      expect(mine.currentLr).toBe(reference.currentLr);
    }
    for (const [name, v] of variables) {
      const want = v.dataSync();
      const got = arrays.get(name)!.data;
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    }
    // A parameter without a gradient is left alone (PyTorch skips grad None).
    expect([...arrays.get("skipped")!.data]).toEqual([...init.get("skipped")!]);
    // Same state layout: AdamW's state restores into ArrayAdamW.
    const restored = new ArrayAdamW(arrays, options);
    restored.setState(reference.getState());
    expect(restored.step).toBe(6);
    expect([...restored.getState().m.get("w")!]).toEqual([...reference.getState().m.get("w")!]);
    reference.dispose();
    for (const v of variables.values()) v.dispose();
  });

  it("rejects a gradient of an unknown or wrongly sized parameter before changing anything", () => {
    const p = params();
    const opt = new ArrayAdamW(p, { lr: 0.1 });
    expect(() => opt.apply(new Map([["nope", new Float32Array(2)]]), 1)).toThrow(/grads\.nope/);
    expect(() =>
      opt.apply(
        new Map([
          ["mat", new Float32Array(1)],
          ["vec", new Float32Array(3)],
        ]),
        1,
      ),
    ).toThrow(/grads\.vec/);
    expect([...p.get("mat")!.data]).toEqual([0.5]);
    expect(opt.step).toBe(0);
  });
});
