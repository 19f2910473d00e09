import { describe, expect, it } from "vitest";
import { gradeCompletion, isWellFormed, workedResult } from "../src/evaluate.js";
import { createTask, targetCompletion } from "../src/task.js";

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
