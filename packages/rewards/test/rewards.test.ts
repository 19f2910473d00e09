import { ConfigError, createContainer, createPlugin, getRegistry, type RewardInput } from "@rlts/core";
import { describe, expect, it } from "vitest";
import {
  FormatReward,
  LengthReward,
  MathCorrectnessReward,
  register,
  softOverlongPunishment,
} from "../src/index.js";

const input = (completion: string, fields: Record<string, unknown> = { answer: "#### 42" }, extra = {}) =>
  ({ prompt: "What is 6 * 7?", completion, fields, ...extra }) as RewardInput;

describe("math-correctness", () => {
  it("grades the <answer> tag against the number after #### by default", () => {
    const reward = new MathCorrectnessReward();
    expect(
      reward.score([
        input("<think>6*7=42</think><answer>42</answer>"),
        input("<think>6*7=41</think><answer>41</answer>"),
        input("<answer>42.0</answer>"),
        input("42"), // no tag: no answer under the default format
        input("<think>x</think><answer>42</answer>", { answer: "#### 1,042" }),
        input("<answer>1042</answer>", { answer: "#### 1,042" }),
      ]),
    ).toEqual([1, 0, 1, 0, 0, 1]);
  });

  it("strict grading needs the whole <think>…</think><answer>…</answer> shape", () => {
    const completions = [
      "<think>6*7</think><answer>42</answer>",
      "<answer>42</answer>",
      "<think>6*7</think> junk <answer>42</answer>",
      "<think>6*7</think><answer>42</answer> trailing",
      "<think>6*7</think>\n<answer> 42 </answer>\n",
    ];
    const strict = new MathCorrectnessReward({ strict: true });
    const lenient = new MathCorrectnessReward();
    expect(strict.score(completions.map((c) => input(c)))).toEqual([1, 0, 0, 0, 1]);
    expect(lenient.score(completions.map((c) => input(c)))).toEqual([1, 1, 1, 1, 1]);
  });

  it('format "auto" accepts any extractable final answer', () => {
    const reward = new MathCorrectnessReward({ format: "auto" });
    expect(
      reward.score([
        input("The answer is 42."),
        input("\\boxed{42}"),
        input("I get 6*7 = 42"),
        input("no idea"),
      ]),
    ).toEqual([1, 1, 1, 0]);
  });

  it("gives configured partial credit", () => {
    const reward = new MathCorrectnessReward({ correctScore: 2, wrongScore: 0.1, noAnswerScore: -1 });
    expect(reward.score([input("<answer>42</answer>"), input("<answer>7</answer>"), input("42")])).toEqual([
      2, 0.1, -1,
    ]);
  });

  it("abstains without a reference, or throws naming the field when asked to", () => {
    expect(new MathCorrectnessReward().score([input("<answer>42</answer>", {})])).toEqual([null]);
    expect(new MathCorrectnessReward().score([input("<answer>42</answer>", { answer: "  " })])).toEqual([
      null,
    ]);
    expect(() =>
      new MathCorrectnessReward({ missingReference: "error" }).score([input("<answer>42</answer>", {})]),
    ).toThrow(/fields\.answer/);
  });

  it("reads the reference from a configured field, as text or a number", () => {
    const reward = new MathCorrectnessReward({ answerField: "target" });
    expect(
      reward.score([
        input("<answer>42</answer>", { target: 42 }),
        input("<answer>0.5</answer>", { target: "1/2" }),
        input("<answer>42</answer>", { answer: "42" }),
      ]),
    ).toEqual([1, 1, null]);
  });

  it("explains its verdict through grade()", () => {
    expect(new MathCorrectnessReward().grade(input("<answer>$42</answer>"))).toEqual({
      answer: "$42",
      reference: "42",
      correct: true,
      score: 1,
    });
  });

  it("gives 0 (no answer) for NUL bytes, unicode digits and unbalanced braces", () => {
    const reward = new MathCorrectnessReward({ format: "auto" });
    expect(
      reward.score([
        input("<answer>4\u00002</answer>"),
        input("<answer>\u0664\u0662</answer>"),
        input("\\boxed{42"),
        input("<answer>{42</answer>"),
      ]),
    ).toEqual([0, 0, 0, 0]);
    expect(
      new MathCorrectnessReward({ unicodeDigits: "fold" }).score([input("<answer>\u0664\u0662</answer>")]),
    ).toEqual([1]);
  });

  it("rejects bad options naming the field", () => {
    expect(() => new MathCorrectnessReward({ format: "xml" as never })).toThrow(/math-correctness\.format/);
    expect(() => new MathCorrectnessReward({ strcit: true } as never)).toThrow(/math-correctness\.strcit/);
    expect(() => new MathCorrectnessReward({ correctScore: Number.NaN })).toThrow(ConfigError);
    expect(() => new MathCorrectnessReward({ percent: "half" as never })).toThrow(
      /math-correctness\.percent/,
    );
    expect(() => new MathCorrectnessReward({ tags: [] })).toThrow(/math-correctness\.tags/);
  });
});

describe("format", () => {
  const wellFormed = [
    "<think>6*7</think><answer>42</answer>",
    "<think>6*7</think> <answer>42</answer>",
    "\n<think>\n6*7\n</think>\n<answer>\n42\n</answer>\n",
  ];
  const malformed = [
    "<answer>42</answer>",
    "<think>6*7</think>",
    "<think></think><answer>42</answer>",
    "<think>6*7</think><answer> </answer>",
    "<think><think>6*7</think></think><answer>42</answer>",
    "<think>6*7</think><answer>42</answer><answer>43</answer>",
    "<think>6*7</think>so<answer>42</answer>",
    "<think>6*7</think><answer>42</answer>.",
    "Sure! <think>6*7</think><answer>42</answer>",
    "<think>6*7<answer>42</answer>",
    "<think>6*7</think><answer>42",
    "<think>6*7</think><answer>4<answer>2</answer>",
    "<answer>42</answer><think>6*7</think>",
    "",
  ];

  it("scores 1 exactly for well-formed <think>…</think><answer>…</answer>", () => {
    const reward = new FormatReward();
    expect(reward.score(wellFormed.map((c) => input(c)))).toEqual(wellFormed.map(() => 1));
    expect(reward.score(malformed.map((c) => input(c)))).toEqual(malformed.map(() => 0));
  });

  it("takes other tags, empty blocks, scores and a pattern from its options", () => {
    expect(new FormatReward({ tags: ["answer"] }).score([input("<answer>4</answer>")])).toEqual([1]);
    expect(
      new FormatReward({ allowEmpty: true }).score([input("<think></think><answer>4</answer>")]),
    ).toEqual([1]);
    expect(
      new FormatReward({ score: 0.5, failScore: -0.5 }).score([
        input("<think>a</think><answer>4</answer>"),
        input("4"),
      ]),
    ).toEqual([0.5, -0.5]);
    const pattern = new FormatReward({ pattern: "[0-9]+" });
    expect(pattern.score([input("42"), input("x42"), input("42\n")])).toEqual([1, 0, 0]);
  });

  it("rejects bad options naming the field", () => {
    expect(() => new FormatReward({ pattern: "(" })).toThrow(/format\.pattern/);
    expect(() => new FormatReward({ tags: ["<think>"] })).toThrow(/format\.tags\[0\]/);
    expect(() => new FormatReward({ tags: [] })).toThrow(/format\.tags/);
    expect(() => new FormatReward({ score: Number.POSITIVE_INFINITY })).toThrow(/format\.score/);
  });
});

describe("length (DAPO soft overlong punishment)", () => {
  it("matches eq. 13 worked by hand", () => {
    // L_max = 10, L_cache = 4: no penalty up to 10 − 4 = 6, then (6 − |y|)/4, −1 beyond 10.
    expect(softOverlongPunishment(0, 10, 4)).toBe(0);
    expect(softOverlongPunishment(6, 10, 4)).toBe(0);
    expect(softOverlongPunishment(7, 10, 4)).toBe(-0.25);
    expect(softOverlongPunishment(8, 10, 4)).toBe(-0.5);
    expect(softOverlongPunishment(10, 10, 4)).toBe(-1);
    expect(softOverlongPunishment(11, 10, 4)).toBe(-1);
    // DAPO's own numbers: L_max = 20480, L_cache = 4096 → free up to 16384, −0.5 at 18432.
    expect(softOverlongPunishment(16384, 20480, 4096)).toBe(0);
    expect(softOverlongPunishment(18432, 20480, 4096)).toBe(-0.5);
    // L_cache = 0 is a hard limit.
    expect(softOverlongPunishment(10, 10, 0)).toBe(0);
    expect(softOverlongPunishment(11, 10, 0)).toBe(-1);
  });

  it("scores completionTokens by default and code points on request", () => {
    const tokens = new LengthReward({ maxLength: 10, cacheLength: 4 });
    expect(
      tokens.score([
        input("x", {}, { completionTokens: 6 }),
        input("x", {}, { completionTokens: 7 }),
        input("x", {}, { completionTokens: 12 }),
      ]),
    ).toEqual([0, -0.25, -1]);
    const chars = new LengthReward({ maxLength: 10, cacheLength: 4, measure: "characters", factor: 2 });
    // "héllo wörld" is 11 code points; "😀" counts once though it is two UTF-16 units: 7 → −0.25·2.
    expect(chars.score([input("héllo wörld"), input("😀😀😀😀😀😀😀"), input("short")])).toEqual([
      -2, -0.5, 0,
    ]);
  });

  it("says what to do when completionTokens is missing", () => {
    const reward = new LengthReward({ maxLength: 10, cacheLength: 4 });
    expect(() => reward.score([input("12345678")])).toThrow(/completionTokens/);
    expect(
      new LengthReward({ maxLength: 10, cacheLength: 4, missingTokens: "abstain" }).score([input("x")]),
    ).toEqual([null]);
    expect(
      new LengthReward({ maxLength: 10, cacheLength: 4, missingTokens: "characters" }).score([
        input("12345678"),
      ]),
    ).toEqual([-0.5]);
    expect(() => reward.score([input("x", {}, { completionTokens: -1 })])).toThrow(/completionTokens/);
  });

  it("rejects bad options naming the field", () => {
    expect(() => new LengthReward({ maxLength: 0 })).toThrow(/length\.maxLength/);
    expect(() => new LengthReward({ maxLength: 10, cacheLength: 11 })).toThrow(/length\.cacheLength/);
    expect(() => new LengthReward({ measure: "bytes" as never })).toThrow(/length\.measure/);
  });
});

describe("register", () => {
  it("adds the four reward plugins, built by name from a config", () => {
    const container = createContainer();
    register(container);
    expect(getRegistry(container).list("reward")).toEqual([
      "composite",
      "format",
      "length",
      "math-correctness",
    ]);
    const reward = createPlugin(container, "reward", { name: "math-correctness", strict: true });
    expect(reward.name).toBe("math-correctness");
    expect(
      reward.score([input("<think>a</think><answer>42</answer>"), input("<answer>42</answer>")]),
    ).toEqual([1, 0]);
  });

  it("registers nothing on import", () => {
    expect(getRegistry(createContainer()).list("reward")).toEqual([]);
  });

  it("passes a bad option through as a ConfigError naming the field", () => {
    const container = createContainer();
    register(container);
    expect(() => createPlugin(container, "reward", { name: "length", cacheLength: -1 })).toThrow(
      /length\.cacheLength/,
    );
  });
});

describe("RewardFunction contract, for every plugin", () => {
  const batch: RewardInput[] = [
    input("<think>6*7</think><answer>42</answer>", { answer: "#### 42" }, { completionTokens: 12 }),
    input("\\boxed{42", { answer: "#### 42" }, { completionTokens: 3000 }),
    input("", { answer: "#### 0" }, { completionTokens: 0 }),
    input("The answer is 7.", {}, { completionTokens: 5 }),
    input(`<answer>${"9".repeat(5000)}</answer>`, { answer: "9" }, { completionTokens: 5000 }),
  ];
  const configs: Record<string, Record<string, unknown>> = {
    "math-correctness": { format: "auto" },
    format: {},
    length: { maxLength: 4096, cacheLength: 1024 },
    composite: {
      components: ["math-correctness", "format", { name: "length", maxLength: 4096, cacheLength: 1024 }],
    },
  };
  for (const [name, options] of Object.entries(configs)) {
    it(`${name}: one finite number or null per input, deterministic, input untouched`, async () => {
      const container = createContainer();
      register(container);
      const reward = createPlugin(container, "reward", { name, ...options });
      expect(reward.name).toBe(name);
      const before = JSON.stringify(batch);
      const first = await reward.score(batch);
      const second = await reward.score(batch);
      expect(first).toHaveLength(batch.length);
      for (const s of first) expect(s === null || Number.isFinite(s)).toBe(true);
      expect(second).toEqual(first);
      expect(JSON.stringify(batch)).toBe(before);
      expect(await reward.score([])).toEqual([]);
    });
  }
});
