import { ConfigError, createRng, ShapeError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { type DecodeSteps, generateCompletions, type LogitRows } from "../src/index.js";
import { scriptedRng } from "./helpers.js";

const V = 4;

/** Steps whose logits are `row(sequence)`, recording every call. */
function recordingSteps(row: (sequence: readonly number[]) => number[]) {
  const calls: { kind: string; sequences?: number[][]; active?: number[]; maxNewTokens?: number }[] = [];
  const steps: DecodeSteps = {
    prefill(prompts, maxNewTokens) {
      calls.push({ kind: "prefill", sequences: prompts.map((p) => [...p]), maxNewTokens });
      return prompts.map(row);
    },
    async extend(sequences, active) {
      calls.push({ kind: "extend", sequences: sequences.map((s) => [...s]), active: [...active] });
      return active.map((i) => row(sequences[i]));
    },
    release() {
      calls.push({ kind: "release" });
    },
  };
  return { steps, calls };
}

const uniform = () => new Array(V).fill(0);

describe("generateCompletions", () => {
  it("draws step by step, unfinished prompts in order, one uniform per token (worked by hand)", async () => {
    // Uniform logits over 4 tokens: the inverse CDF maps u to token ⌊4u⌋, and every log-prob is log ¼.
    // Step 1: prompt 0 ← 0.1 → 0, prompt 1 ← 0.8 → 3 (a stop token), prompt 2 ← 0.3 → 1.
    // Step 2: prompt 0 ← 0.6 → 2, prompt 2 ← 0.45 → 1 (prompt 1 has stopped and draws nothing).
    // Step 3: prompt 0 ← 0.9 → 3 (stop), prompt 2 ← 0.05 → 0 (cut at maxNewTokens).
    const { rng, uniformsDrawn } = scriptedRng([0.1, 0.8, 0.3, 0.6, 0.45, 0.9, 0.05]);
    const { steps, calls } = recordingSteps(uniform);
    const prompts = [Int32Array.from([1]), Int32Array.from([2, 3]), Int32Array.from([0])];
    const out = await generateCompletions({ prompts, maxNewTokens: 3, stopTokens: [3], rng }, V, steps);
    expect(out.completions.map((c) => [...c])).toEqual([[0, 2, 3], [3], [1, 1, 0]]);
    expect(out.stopped).toEqual([true, true, false]);
    expect(out.completions.every((c) => c instanceof Int32Array)).toBe(true);
    expect(out.logprobs.map((l) => l.length)).toEqual([3, 1, 3]);
    for (const l of out.logprobs) {
      expect(l).toBeInstanceOf(Float32Array);
      for (const lp of l) expect(lp).toBeCloseTo(Math.log(1 / 4), 6);
    }
    expect(uniformsDrawn()).toBe(7);
    // The engine is asked for the prompts once, then for the unfinished sequences after each step but
    // the last, and released once; the prompts themselves are left alone.
    expect(calls).toEqual([
      { kind: "prefill", sequences: [[1], [2, 3], [0]], maxNewTokens: 3 },
      {
        kind: "extend",
        sequences: [
          [1, 0],
          [2, 3, 3],
          [0, 1],
        ],
        active: [0, 2],
      },
      {
        kind: "extend",
        sequences: [
          [1, 0, 2],
          [2, 3, 3],
          [0, 1, 1],
        ],
        active: [0, 2],
      },
      { kind: "release" },
    ]);
    expect([...prompts[1]]).toEqual([2, 3]);
  });

  it("samples row a of the engine's answer for the a-th unfinished sequence", async () => {
    // A greedy bigram: after token t the argmax is (t + 1) mod 4. Prompt 1 stops at once (3 is a stop
    // token), so from step 2 on the engine returns a single row, which belongs to prompt 0.
    const bigram = (s: readonly number[]) => {
      const row = uniform();
      row[(s[s.length - 1] + 1) % V] = 5;
      return row;
    };
    const { rng, uniformsDrawn } = scriptedRng([]);
    const { steps, calls } = recordingSteps(bigram);
    const prompts = [Int32Array.from([0]), Int32Array.from([2])];
    const out = await generateCompletions(
      { prompts, maxNewTokens: 4, temperature: 0, stopTokens: [3], rng },
      V,
      steps,
    );
    expect(out.completions.map((c) => [...c])).toEqual([[1, 2, 3], [3]]);
    expect(out.stopped).toEqual([true, true]);
    expect(uniformsDrawn()).toBe(0); // greedy draws nothing
    // Greedy reports the plain softmax: log(e⁵/(e⁵ + 3)).
    expect(out.logprobs[0][0]).toBeCloseTo(5 - Math.log(Math.exp(5) + 3), 6);
    expect(calls.filter((c) => c.kind === "extend").map((c) => c.active)).toEqual([[0], [0]]);
  });

  it("asks the engine for nothing when there is nothing to sample", async () => {
    for (const request of [
      { prompts: [Int32Array.from([1])], maxNewTokens: 0 },
      { prompts: [], maxNewTokens: 5 },
    ]) {
      const { steps, calls } = recordingSteps(uniform);
      const out = await generateCompletions({ ...request, rng: createRng(0) }, V, steps);
      expect(calls).toEqual([]);
      expect(out.completions.map((c) => c.length)).toEqual(request.prompts.map(() => 0));
      expect(out.stopped).toEqual(request.prompts.map(() => false));
    }
  });

  it("releases the engine's state when a step fails", async () => {
    let released = 0;
    const steps: DecodeSteps = {
      prefill: (prompts) => prompts.map(uniform),
      extend: () => Promise.reject(new Error("session lost")),
      release: () => {
        released++;
      },
    };
    const request = { prompts: [Int32Array.from([1])], maxNewTokens: 3, rng: createRng(0) };
    await expect(generateCompletions(request, V, steps)).rejects.toThrow("session lost");
    expect(released).toBe(1);
  });

  it("refuses logits of the wrong number or width of rows", async () => {
    const request = {
      prompts: [Int32Array.from([1]), Int32Array.from([2])],
      maxNewTokens: 2,
      rng: createRng(0),
    };
    const answer = (rows: LogitRows): DecodeSteps => ({ prefill: () => rows, extend: () => rows });
    await expect(generateCompletions(request, V, answer([uniform()]))).rejects.toThrow(ShapeError);
    await expect(generateCompletions(request, V, answer([uniform(), [0, 0]]))).rejects.toThrow(
      /next-token logits: expected 2 rows of 4 values, got 2 rows of 4, 2/,
    );
  });

  it("rejects bad requests before asking the engine, naming the field", async () => {
    const { steps, calls } = recordingSteps(uniform);
    const ok = { prompts: [Int32Array.from([1, 2])], maxNewTokens: 2, rng: createRng(0) };
    const cases: [object, RegExp][] = [
      [{ temperature: -1 }, /generate\.temperature/],
      [{ topK: 1.5 }, /generate\.topK/],
      [{ topP: 0 }, /generate\.topP/],
      [{ maxNewTokens: -1 }, /generate\.maxNewTokens/],
      [{ rng: undefined }, /generate\.rng/],
      [{ prompts: "12" }, /generate\.prompts/],
      [{ prompts: [Int32Array.from([1]), "12"] }, /prompts\[1\].*Int32Array/],
      [{ prompts: [Int32Array.from([1]), new Int32Array(0)] }, /prompts\[1\].*at least one token/],
      [{ prompts: [Int32Array.from([1, 4])] }, /prompts\[0\]\[1\].*\[0, 3\]/],
    ];
    for (const [change, message] of cases) {
      const request = { ...ok, ...change } as Parameters<typeof generateCompletions>[0];
      await expect(generateCompletions(request, V, steps), String(message)).rejects.toThrow(ConfigError);
      await expect(generateCompletions(request, V, steps)).rejects.toThrow(message);
    }
    expect(calls).toEqual([]);
  });
});
