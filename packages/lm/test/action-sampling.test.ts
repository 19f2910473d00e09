import { describe, expect, it } from "vitest";
import { sampleActions } from "../src/index.js";
import { scriptedRng } from "./helpers.js";

describe("sampleActions", () => {
  it("draws categorical actions by inverse CDF, one uniform per row (worked by hand)", () => {
    // Logits [0, log 3] give π = [¼, ¾]: u = 0.2 < ¼ picks 0, u = 0.5 picks 1.
    const out = [0, Math.log(3), 0, Math.log(3)];
    const { rng, uniformsDrawn } = scriptedRng([0.2, 0.5]);
    const { actions, logprobs } = sampleActions({ type: "categorical", n: 2 }, out, undefined, rng);
    expect([...actions]).toEqual([0, 1]);
    expect(logprobs[0]).toBeCloseTo(Math.log(0.25), 12);
    expect(logprobs[1]).toBeCloseTo(Math.log(0.75), 12);
    expect(uniformsDrawn()).toBe(2);
    const greedy = sampleActions({ type: "categorical", n: 2 }, out, undefined, scriptedRng([]).rng, true);
    expect([...greedy.actions]).toEqual([1, 1]);
  });

  it("draws Gaussian actions μ + σ·ε, dimension by dimension (worked by hand)", () => {
    // μ = [1, −1], log σ = [log 2, 0], ε = [0.5, −1]: a = [1 + 2·0.5, −1 − 1] = [2, −2];
    // log π = Σ −ε²/2 − log σ − ½log 2π = (−0.125 − log 2) + (−0.5) − log 2π.
    const { rng, normalsDrawn } = scriptedRng([], [0.5, -1]);
    const { actions, logprobs } = sampleActions({ type: "gaussian", dim: 2 }, [1, -1], [Math.log(2), 0], rng);
    expect(actions).toBeInstanceOf(Float32Array);
    expect([...actions]).toEqual([2, -2]);
    expect(logprobs[0]).toBeCloseTo(-0.625 - Math.log(2) - Math.log(2 * Math.PI), 6);
    expect(normalsDrawn()).toBe(2);
  });
});
