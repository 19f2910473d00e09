import "reflect-metadata";
import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import { createRng } from "@rlts/core";
import { beforeAll, describe, expect, it } from "vitest";
import { gradeCompletion, isWellFormed, workedResult } from "../src/evaluate.js";
import { KvCacheSampler } from "../src/kv-sampler.js";
import { createTask, createTokenizer, targetCompletion } from "../src/task.js";

beforeAll(async () => {
  await selectEngine({ prefer: "wasm" });
});

describe("grading", () => {
  it("grades known completions of 23 + 45 - 7 = 61", () => {
    // Worked by hand: 23+45=68, 68-7=61.
    expect(gradeCompletion("<think>23+45=68, 68-7=61</think><answer>61</answer>", "61")).toEqual({
      strict: true,
      lenient: true,
    });
    // Right number, broken shape (no think block): lenient only.
    expect(gradeCompletion("<answer>61</answer>", "61")).toEqual({ strict: false, lenient: true });
    // No tags at all: lenient reads the last number.
    expect(gradeCompletion("23+45=68, 68-7=61", "61")).toEqual({ strict: false, lenient: true });
    // Well-formed but wrong (a borrow error).
    expect(gradeCompletion("<think>23+45=68, 68-7=71</think><answer>71</answer>", "61")).toEqual({
      strict: false,
      lenient: false,
    });
    // An unclosed answer is no answer under both modes.
    expect(gradeCompletion("<think>68-7=61</think><answer>61", "61")).toEqual({
      strict: false,
      lenient: false,
    });
    // Two answer blocks break the strict shape; lenient takes the last one.
    expect(gradeCompletion("<think>x</think><answer>5</answer><answer>61</answer>", "61")).toEqual({
      strict: false,
      lenient: true,
    });
  });

  it("reads the result a worked solution ends at, apart from the answer", () => {
    // The base model's slip: the working reaches 9 (7+5=12, 12-3=9) but the answer copies 12.
    expect(workedResult("<think>7+5=12, 12-3=9</think><answer>12</answer>")).toBe("9");
    expect(workedResult("<think>3-8=-5</think><answer>-5</answer>")).toBe("-5");
    // No think block, or no result inside it.
    expect(workedResult("<answer>9</answer>")).toBeUndefined();
    expect(workedResult("<think>hmm</think><answer>9</answer>")).toBeUndefined();
    // Numbers after </think> are not part of the working.
    expect(workedResult("<think>2+2=4</think><answer>=5</answer>")).toBe("4");
  });

  it("the task's own reference solutions are well-formed and graded right", () => {
    const task = createTask();
    for (const example of task.examples("test").slice(0, 50)) {
      const completion = targetCompletion(example);
      expect(isWellFormed(completion)).toBe(true);
      expect(gradeCompletion(completion, example.answer)).toEqual({ strict: true, lenient: true });
    }
  });
});

describe("the cached sampler", () => {
  it("gives the GptModel's logits, including past the context window", () => {
    const tokenizer = createTokenizer();
    const model = new GptModel({
      vocabSize: tokenizer.vocabSize,
      contextLength: 16,
      dModel: 16,
      nLayers: 2,
      nHeads: 2,
      initStd: 0.5,
      seed: 7,
    });
    const sampler = new KvCacheSampler(model.config, model.getWeights());
    const rng = createRng(3);
    const sequences = [5, 16, 23].map((n) =>
      Int32Array.from({ length: n }, () => rng.int(tokenizer.vocabSize)),
    );
    const want = model.lastLogits(sequences);
    const got = sampler.lastLogits(sequences);
    for (let i = 0; i < sequences.length; i++) {
      for (let v = 0; v < tokenizer.vocabSize; v++) expect(got[i][v]).toBeCloseTo(want[i][v], 4);
    }
    model.dispose();
  });
});
