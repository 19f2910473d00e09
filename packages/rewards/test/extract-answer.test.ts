import { describe, expect, it } from "vitest";
import { type AnswerFormat, answersMatch, extractAnswer, MathCorrectnessReward } from "../src/index.js";

// [format, completion, expected answer (null: no answer)]
const table: readonly (readonly [AnswerFormat, string, string | null])[] = [
  // gsm8k
  ["gsm8k", "She has 3 + 4 = 7 eggs.\n#### 7", "7"],
  ["gsm8k", "#### 1,450,000", "1,450,000"],
  ["gsm8k", "#### -3\n", "-3"],
  ["gsm8k", "first #### 5\nthen #### 6", "6"],
  ["gsm8k", "####42", "42"],
  ["gsm8k", "#### 18 dollars", "18 dollars"],
  ["gsm8k", "#### \n42", null],
  ["gsm8k", "The answer is 42", null],
  ["gsm8k", "#### 4\u00002", null],
  ["gsm8k", "#### \u0664\u0662", null],
  // answer-line
  ["answer-line", "So the answer is 42.", "42"],
  ["answer-line", "The final answer is $\\frac{3}{4}$.", "$\\frac{3}{4}$"],
  ["answer-line", "THE ANSWER IS 12", "12"],
  ["answer-line", "**Answer:** 1,234.", "1,234"],
  ["answer-line", "Answer: 5\nAnswer: 6", "6"],
  ["answer-line", "Q: 2+2?\nA: 4", "4"],
  ["answer-line", "  A: 4 apples", "4 apples"],
  ["answer-line", "Final answer: -7", "-7"],
  ["answer-line", "The answer is: 9\nBecause 4 + 5 = 9.", "9"],
  ["answer-line", "The answer is 3.5; the rest is 1,234. Done", "3.5"],
  ["answer-line", "Answer: Paris, France", "Paris"],
  ["answer-line", "The answer is 12. It took 3 steps.", "12"],
  ["answer-line", "a banana: 3", null],
  ["answer-line", "no marker 42", null],
  ["answer-line", "Answer:", null],
  ["answer-line", "The answers is 4", null],
  ["answer-line", "Answer: \\boxed{5", null],
  // boxed
  ["boxed", "so $\\boxed{42}$", "42"],
  ["boxed", "\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"],
  ["boxed", "\\boxed{1} then \\boxed{2}", "2"],
  ["boxed", "\\boxed{{3}+{4}}", "{3}+{4}"],
  ["boxed", "\\fbox{7}", "7"],
  ["boxed", "\\boxed 5", "5"],
  ["boxed", "\\boxed{\\{1,2\\}}", "\\{1,2\\}"],
  ["boxed", "\\boxed{42", null],
  ["boxed", "\\boxed{4{2}", null],
  ["boxed", "\\boxed{}", null],
  ["boxed", "no box 42", null],
  ["boxed", "\\boxed{4\u00002}", null],
  // answer-tag
  ["answer-tag", "<think>2+2</think><answer>4</answer>", "4"],
  ["answer-tag", "<answer> 12 </answer>", "12"],
  ["answer-tag", "<answer>1</answer><answer>2</answer>", "2"],
  ["answer-tag", "<answer>1</answer> and <answer>2", null],
  ["answer-tag", "<answer>42", null],
  ["answer-tag", "<answer></answer>", null],
  ["answer-tag", "<answer>\u0663</answer>", null],
  ["answer-tag", "<answer>\\frac{3}{4</answer>", null],
  ["answer-tag", "the answer is 4", null],
  // last-number
  ["last-number", "3 apples and 5 pears", "5"],
  ["last-number", "It costs $1,234.50.", "1,234.50"],
  ["last-number", "x = -3", "-3"],
  ["last-number", "x = \u22123", "-3"],
  ["last-number", "from 3-5 days", "5"],
  ["last-number", "the ratio 3/4", "3/4"],
  ["last-number", "it grew 50%", "50%"],
  ["last-number", "list 1,2,3", "3"],
  ["last-number", "total 1,034,567", "1,034,567"],
  ["last-number", "on 10/20/2020", "2020"],
  ["last-number", "v1.2.3", "3"],
  ["last-number", "take .5 cups", ".5"],
  ["last-number", "no digits here", null],
  ["last-number", "ends in \u0663", null],
  ["last-number", "4\u00002", null],
  ["last-number", "99\u0000", null],
  ["last-number", "\u0000-5", null],
  // auto: first marker in the order answer-tag, boxed, gsm8k, answer-line; else last number
  ["auto", "<answer>4</answer> \\boxed{5}", "4"],
  ["auto", "\\boxed{5}\n#### 6", "5"],
  ["auto", "#### 6\nThe answer is 7", "6"],
  ["auto", "The answer is 7, not 8", "7"],
  ["auto", "I think 8 or 9", "9"],
  ["auto", "<answer>oops \\boxed{5}", null],
  ["auto", "\\boxed{5 and then 6", null],
];

describe("extractAnswer on a table of completions", () => {
  it("has at least 60 cases", () => {
    expect(table.length).toBeGreaterThanOrEqual(60);
  });
  for (const [format, text, expected] of table) {
    it(`${format}: ${JSON.stringify(text)} → ${JSON.stringify(expected)}`, () => {
      expect(extractAnswer(text, { format })).toBe(expected);
    });
  }
});

describe("extraction then grading, both ways", () => {
  // [completion, reference, correct?] graded with format auto; the reference is also graded against
  // the extracted answer the other way round.
  const graded: readonly (readonly [string, string, boolean])[] = [
    ["The answer is $1,234.", "1234", true],
    ["#### 18", "$18.00", true],
    ["\\boxed{\\frac{3}{4}}", "0.75", true],
    ["<answer>1 1/2</answer>", "3/2", true],
    ["<answer>50%</answer>", "0.5", true],
    ["so it's 42 apples", "42", true],
    ["so it's 42 apples", "43", false],
    ["<answer>\u22123</answer>", "-3", true],
    ["<answer>3</answer>", "-3", false],
  ];
  for (const [completion, reference, correct] of graded) {
    it(`${JSON.stringify(completion)} vs ${JSON.stringify(reference)}`, () => {
      const answer = extractAnswer(completion, { format: "auto" });
      expect(answer).not.toBeNull();
      expect(answersMatch(answer!, reference)).toBe(correct);
      expect(answersMatch(reference, answer!)).toBe(correct);
    });
  }
});

describe("options", () => {
  it('unicodeDigits: "fold" reads Arabic-Indic and fullwidth digits', () => {
    expect(
      extractAnswer("<answer>\u0664\u0662</answer>", { format: "answer-tag", unicodeDigits: "fold" }),
    ).toBe("42");
    expect(extractAnswer("ends in \uff17", { format: "last-number", unicodeDigits: "fold" })).toBe("7");
    expect(extractAnswer("math digit \u{1D7D7}", { format: "last-number", unicodeDigits: "fold" })).toBe("9");
  });

  it("maxLength bounds the answer", () => {
    expect(extractAnswer("<answer>12345</answer>", { format: "answer-tag", maxLength: 4 })).toBeNull();
    expect(extractAnswer("<answer>1234</answer>", { format: "answer-tag", maxLength: 4 })).toBe("1234");
  });

  it("gives null, not an exception, for a non-string", () => {
    expect(extractAnswer(undefined as unknown as string)).toBeNull();
  });
});

const MB = 1 << 20;
// Inputs built to make a careless grader quadratic: unclosed tags and braces, runs of markers, digits
// and separators, and characters that change length when lower-cased.
const adversarial: Record<string, string> = {
  "unclosed \\boxed{": "\\boxed{".repeat(MB / 7),
  "open braces": "{".repeat(MB),
  "unclosed <answer>": "<answer>".repeat(MB / 8),
  "almost-closed answer tags": "<answer></answer".repeat(MB / 16),
  "#### runs": "#".repeat(MB),
  "1,1,1,…": "1,".repeat(MB / 2),
  "one 1 MB number": "9".repeat(MB),
  "a:a:a:…": "a:".repeat(MB / 2),
  "answer answer …": "answer ".repeat(MB / 7),
  "unclosed <think>": "<think>".repeat(MB / 7),
  "NUL bytes": "\u0000".repeat(MB),
  "Arabic-Indic digits": "\u0663".repeat(MB),
  "unclosed \\frac{": "\\frac{".repeat(MB / 6),
  "İ then answer": `${"\u0130".repeat(MB - 12)}Answer: 5`,
  "white space": `${" ".repeat(MB - 1)}a`,
  "Answer: . . . …": `Answer: ${". ".repeat(MB / 2)}`,
};

describe("robustness on 1 MB hostile completions", () => {
  const formats: readonly AnswerFormat[] = ["auto", "answer-tag", "last-number"];
  it("grades each in under 50 ms of CPU time with a clean verdict", () => {
    // CPU time of this process (process.cpuUsage), not wall time: other processes sharing the machine
    // only delay the grader, they do not make it do more work. The fastest of 5 runs is taken. A
    // quadratic scan of 1 MB would need seconds, not milliseconds.
    const slow: string[] = [];
    for (const format of formats) {
      for (const strict of [false, true]) {
        const reward = new MathCorrectnessReward({ format, strict });
        for (const [name, completion] of Object.entries(adversarial)) {
          expect(completion.length).toBeGreaterThanOrEqual(MB - 16);
          const input = { prompt: "", completion, fields: { answer: "#### 42" } };
          let fastest = Number.POSITIVE_INFINITY;
          for (let run = 0; run < 5; run++) {
            const start = process.cpuUsage();
            const score = reward.grade(input).score;
            const used = process.cpuUsage(start);
            fastest = Math.min(fastest, (used.user + used.system) / 1000);
            expect(score, `${format} ${name}`).toBe(0);
          }
          if (fastest >= 50)
            slow.push(`${format}${strict ? " strict" : ""} ${name}: ${fastest.toFixed(1)} ms`);
        }
      }
    }
    expect(slow).toEqual([]);
  });

  it("still finds a real answer after 1 MB of noise", () => {
    const noise = "x{".repeat(MB / 2);
    expect(extractAnswer(`<think>${noise}</think><answer>42</answer>`, { format: "answer-tag" })).toBe("42");
    // The answer region is the #### line only; the unbalanced noise before it does not matter.
    expect(extractAnswer(`${noise}\n#### 42`, { format: "auto" })).toBe("42");
  });
});
