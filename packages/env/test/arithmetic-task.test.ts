import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ArithmeticOperator, createArithmeticTask, evaluateArithmetic } from "../src/index.js";

/** JavaScript's own evaluation of the expression: an evaluator independent of ours. */
function jsValue(expression: string): number {
  return Function(`"use strict"; return (${expression});`)() as number;
}

describe("evaluateArithmetic", () => {
  it("works left to right with * first, recording each step (worked by hand)", () => {
    // 23 + 45 = 68, 68 − 7 = 61
    expect(evaluateArithmetic([23, 45, 7], ["+", "-"])).toEqual({ value: 61, solution: "23+45=68, 68-7=61" });
    // 3·4 = 12 first, then 2 + 12 = 14, 14 − 5 = 9
    expect(evaluateArithmetic([2, 3, 4, 5], ["+", "*", "-"])).toEqual({
      value: 9,
      solution: "3*4=12, 2+12=14, 14-5=9",
    });
    expect(evaluateArithmetic([3, 5], ["-"], false)).toBeUndefined();
  });

  it("agrees with JavaScript's precedence on random expressions (property)", () => {
    const op = fc.constantFrom<ArithmeticOperator>("+", "-", "*");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(op, fc.nat(999)), { minLength: 1, maxLength: 5 }),
        fc.nat(999),
        (rest, head) => {
          const operands = [head, ...rest.map(([, n]) => n)];
          const ops = rest.map(([o]) => o);
          const expression = operands.reduce(
            (s, n, i) => (i === 0 ? String(n) : `${s} ${ops[i - 1]} ${n}`),
            "",
          );
          return evaluateArithmetic(operands, ops)?.value === jsValue(expression);
        },
      ),
    );
  });
});

describe("createArithmeticTask", () => {
  it("makes short questions with exact integer answers and a worked solution ending in the answer", () => {
    const task = createArithmeticTask({ seed: 1, trainSize: 300, testSize: 50, operators: ["+", "-", "*"] });
    for (const split of ["train", "test"] as const) {
      for (const ex of task.examples(split)) {
        const expression = String(ex.fields.expression);
        expect(ex.question).toBe(`What is ${expression}?`);
        expect(ex.fields.answer).toBe(jsValue(expression));
        expect(ex.answer).toBe(String(jsValue(expression)));
        expect(Number.isInteger(ex.fields.answer)).toBe(true);
        expect(ex.fields.answer as number).toBeGreaterThanOrEqual(0);
        expect(ex.solution!.endsWith(`=${ex.answer}`)).toBe(true);
        expect(ex.fields.solution).toBe(ex.solution);
        expect(ex.question.length).toBeLessThan(40);
      }
    }
  });

  it("respects the difficulty knobs: digits, operators and steps", () => {
    const task = createArithmeticTask({
      seed: 2,
      digits: 3,
      operators: ["*"],
      steps: [2, 3],
      trainSize: 200,
    });
    for (const ex of task.examples("train")) {
      const parts = String(ex.fields.expression).split(" ");
      const operands = parts.filter((_, i) => i % 2 === 0).map(Number);
      const ops = parts.filter((_, i) => i % 2 === 1);
      expect(ops.every((o) => o === "*")).toBe(true);
      expect(ops.length === 2 || ops.length === 3).toBe(true);
      expect(ex.fields.steps).toBe(ops.length);
      for (const n of operands) expect(n >= 0 && n <= 999).toBe(true);
      expect(ex.solution!.split(", ").length).toBe(ops.length);
    }
    const one = createArithmeticTask({ seed: 2, digits: 1, steps: 1, trainSize: 100, testSize: 0 });
    for (const ex of one.examples("train")) expect(String(ex.fields.expression)).toMatch(/^\d [+-] \d$/);
  });

  it("is reproducible by seed, and its test split never repeats a training question", () => {
    const a = createArithmeticTask({ seed: 7, trainSize: 500, testSize: 100 });
    const b = createArithmeticTask({ seed: 7, trainSize: 500, testSize: 100 });
    const c = createArithmeticTask({ seed: 8, trainSize: 500, testSize: 100 });
    expect(b.examples("train")).toEqual(a.examples("train"));
    expect(b.examples("test")).toEqual(a.examples("test"));
    expect(c.examples("train")).not.toEqual(a.examples("train"));
    const train = new Set(a.examples("train").map((e) => e.question));
    expect(a.examples("test").filter((e) => train.has(e.question))).toEqual([]);
  });

  it("allows negative results only when asked", () => {
    const task = createArithmeticTask({
      seed: 3,
      operators: ["-"],
      steps: 2,
      allowNegative: true,
      trainSize: 200,
    });
    expect(task.examples("train").some((e) => (e.fields.answer as number) < 0)).toBe(true);
  });

  it("rejects settings that cannot work, naming the field", () => {
    expect(() => createArithmeticTask({ digits: 0 })).toThrow(/prompts\.digits/);
    expect(() => createArithmeticTask({ operators: ["/" as "+"] })).toThrow(/prompts\.operators/);
    expect(() => createArithmeticTask({ digits: 6, operators: ["*"], steps: 3 })).toThrow(/2\^53/);
    expect(() => createArithmeticTask({ steps: [3, 1] })).toThrow(/prompts\.steps/);
    expect(() => createArithmeticTask({ template: "no slot" })).toThrow(/prompts\.template/);
    expect(() =>
      createArithmeticTask({ digits: 1, steps: 1, operators: ["+"], trainSize: 500, testSize: 50 }),
    ).toThrow(/prompts\.testSize/);
  });
});
