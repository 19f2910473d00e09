import { createRng } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { sampleFromLogits, samplingDistribution } from "../src/index.js";

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
    // = −log(1.29708) = −0.26012 (TRL `logits / temperature`); the untempered value would be −0.40761.
    // u < p(0) = 0.77092 draws token 0; a seed whose first draw is below it is found by search.
    const z = [2, 1, 0];
    let seed = 0;
    while (createRng(seed).next() >= 0.77) seed++;
    const { token, logprob } = sampleFromLogits(z, { temperature: 0.7, topK: 0, topP: 1 }, createRng(seed));
    expect(token).toBe(0);
    expect(logprob).toBeCloseTo(-Math.log(1 + Math.exp(-10 / 7) + Math.exp(-20 / 7)), 12);
    expect(logprob).toBeCloseTo(-0.26012, 5);
    // Top-k truncation is not part of the reported log-prob: softmax(z/T) before truncation.
    const k1 = sampleFromLogits(z, { temperature: 0.7, topK: 1, topP: 1 }, createRng(seed));
    expect(k1.logprob).toBeCloseTo(logprob, 12);
  });
});
