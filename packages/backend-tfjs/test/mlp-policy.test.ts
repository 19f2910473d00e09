import { createRng, ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { MlpPolicy, selectEngine } from "../src/index.js";

await selectEngine({ prefer: "wasm", log: () => {} });

const obs = [
  [0.5, -1, 2],
  [0, 0.3, -0.7],
  [1.5, 1, 0],
];

describe("MlpPolicy", () => {
  it("initialises hidden layers orthogonally with gain √2 and the policy head with gain 0.01 (CleanRL)", () => {
    const policy = new MlpPolicy({ obsDim: 3, action: { type: "categorical", n: 4 }, hidden: [8], seed: 1 });
    const w = policy.getWeights();
    // pi.0.w is [3, 8]: its 3 rows are orthogonal with squared norm gain² = 2.
    const w0 = w.get("pi.0.w")!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let dot = 0;
        for (let k = 0; k < 8; k++) dot += w0.data[i * 8 + k] * w0.data[j * 8 + k];
        expect(dot).toBeCloseTo(i === j ? 2 : 0, 5);
      }
    }
    // pi.head.w is [8, 4]: its 4 columns are orthogonal with squared norm 0.01² = 1e-4.
    const head = w.get("pi.head.w")!;
    for (let a = 0; a < 4; a++) {
      let sq = 0;
      for (let k = 0; k < 8; k++) sq += head.data[k * 4 + a] ** 2;
      expect(sq).toBeCloseTo(1e-4, 8);
    }
    expect([...w.get("pi.0.b")!.data]).toEqual(new Array(8).fill(0));
    expect(policy.policyParameterNames).toEqual(["pi.0.w", "pi.0.b", "pi.head.w", "pi.head.b"]);
    expect(policy.valueParameterNames).toEqual(["vf.0.w", "vf.0.b", "vf.head.w", "vf.head.b"]);
    policy.dispose();
  });

  for (const action of [
    { type: "categorical", n: 3 } as const,
    { type: "gaussian", dim: 2, initLogStd: -0.5 } as const,
  ]) {
    it(`returns log-probs and values that evaluate() reproduces (${action.type})`, () => {
      const policy = new MlpPolicy({ obsDim: 3, action, hidden: [5], seed: 2 });
      const a = policy.act(obs, createRng(3));
      const b = policy.act(obs, createRng(3));
      expect(b.actions).toEqual(a.actions);
      const ev = tf.tidy(() => {
        const { logprob, value, entropy } = policy.evaluate(obs, a.actions);
        return { lp: [...logprob.dataSync()], v: [...value!.dataSync()], h: [...entropy.dataSync()] };
      });
      a.logprobs.forEach((lp, i) => {
        expect(ev.lp[i]).toBeCloseTo(lp, 4);
      });
      a.values!.forEach((v, i) => {
        expect(ev.v[i]).toBeCloseTo(v, 5);
      });
      if (action.type === "gaussian") {
        // H = Σ_j log σ_j + ½(1 + log 2π) = 2·(−0.5) + (1 + log 2π)
        for (const h of ev.h) expect(h).toBeCloseTo(-1 + 1 + Math.log(2 * Math.PI), 5);
      }
      policy.dispose();
    });

    it(`acts greedily with the mode (${action.type})`, () => {
      const policy = new MlpPolicy({ obsDim: 3, action, hidden: [5], seed: 4 });
      const out = tf.tidy(() => policy.headOutput(obs).arraySync()) as number[][];
      const greedy = policy.act(obs, createRng(0), { greedy: true });
      out.forEach((row, i) => {
        if (action.type === "categorical") expect(greedy.actions[i]).toBe(row.indexOf(Math.max(...row)));
        else
          row.forEach((mu, j) => {
            expect(greedy.actions[i * 2 + j]).toBeCloseTo(mu, 6);
          });
      });
      policy.dispose();
    });
  }

  it("rejects bad options and observations with errors naming the field", () => {
    expect(() => new MlpPolicy({ obsDim: 0, action: { type: "categorical", n: 2 } })).toThrow(
      /policy\.obsDim/,
    );
    expect(() => new MlpPolicy({ obsDim: 2, action: { type: "beta" } as never })).toThrow(
      /policy\.action\.type/,
    );
    expect(() => new MlpPolicy({ obsDim: 2, action: { type: "categorical", n: 2 }, hidden: [4, 0] })).toThrow(
      /policy\.hidden\[1\]/,
    );
    const policy = new MlpPolicy({ obsDim: 3, action: { type: "categorical", n: 2 } });
    expect(() => policy.act([[1, 2]], createRng(0))).toThrow(ShapeError);
    expect(() => policy.act([[1, 2]], createRng(0))).toThrow(/obs\[0\]/);
    expect(() => policy.act([[1, Number.NaN, 2]], createRng(0))).toThrow(/obs\[0\]\[1\]/);
    expect(() => tf.tidy(() => policy.evaluate(obs, [0, 1, 5]).logprob)).toThrow(/actions\[2\]/);
    policy.dispose();
  });
});
