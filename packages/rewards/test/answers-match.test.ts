import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answersMatch, normalizeAnswer, parseAnswer } from "../src/index.js";

// [a, b, same?] — each pair is checked both ways (a, b) and (b, a).
const pairs: readonly (readonly [string, string, boolean])[] = [
  // thousands separators
  ["1,234", "1234", true],
  ["1,234,567", "1234567", true],
  ["1,234.50", "1234.5", true],
  ["1\\,234", "1234", true],
  ["1{,}234", "1234", true],
  ["1\u2009234", "1234", true],
  ["12,34", "1234", false],
  ["1,23", "123", false],
  ["0,5", "0.5", false],
  // currency
  ["$5.00", "5", true],
  ["\\$5", "5", true],
  ["$1,000", "1000", true],
  ["-$5", "-5", true],
  ["$-5", "-5", true],
  ["€20", "20", true],
  ["5 dollars", "5", true],
  ["$5", "6", false],
  // percentages (default "either": x% matches x and x/100)
  ["50%", "50", true],
  ["50%", "0.5", true],
  ["50\\%", "50", true],
  ["50 percent", "50", true],
  ["50%", "50.0%", true],
  ["50%", "0.5%", false],
  ["50%", "5", false],
  ["12.5%", "0.125", true],
  ["12.5%", "1/8", true],
  // signs
  ["-3", "\u22123", true],
  ["-3", "\u20133", true],
  ["+5", "5", true],
  ["-0", "0", true],
  ["-3", "3", false],
  ["- 3", "-3", true],
  // decimals and trailing zeros
  ["5.000", "5", true],
  ["5.", "5", true],
  ["0.50", ".5", true],
  ["007", "7", true],
  ["0.1", "0.10000000000000001", false],
  ["0.3", "0.30", true],
  ["2.5", "2.50", true],
  ["2.05", "2.5", false],
  // fractions
  ["3/4", "0.75", true],
  ["3 / 4", "0.75", true],
  ["\\frac{3}{4}", "0.75", true],
  ["\\dfrac{3}{4}", "3/4", true],
  ["\\frac34", "3/4", true],
  ["\\frac{6}{8}", "3/4", true],
  ["-\\frac{1}{2}", "-0.5", true],
  ["\\frac{-1}{2}", "-1/2", true],
  ["1/3", "0.333", false],
  ["1/3", "2/6", true],
  ["2/4", "1/2", true],
  ["3/0", "0", false],
  // mixed numbers
  ["1 1/2", "3/2", true],
  ["1 1/2", "1.5", true],
  ["2\\frac{1}{4}", "9/4", true],
  ["-1 1/2", "-1.5", true],
  ["1 1/2", "1/2", false],
  ["1 1/2", "11/2", false],
  // units and wrappers
  ["5 cm", "5", true],
  ["5cm", "5 cm", true],
  ["12 apples", "12", true],
  ["$42 (apples)", "42", true],
  ["42 (or 43)", "42", false],
  ["9.8 m/s^2", "9.8", true],
  ["90^\\circ", "90", true],
  ["90°", "90", true],
  ["5\\text{ cm}", "5", true],
  ["$\\frac{3}{4}$", "0.75", true],
  ["\\boxed{7}", "7", true],
  ["x = 5", "5", true],
  ["**42**", "42", true],
  ["42.", "42", true],
  ["5 apples and 3 oranges", "5", false],
  ["5x", "5", false],
  // scientific notation
  ["1.5e3", "1500", true],
  ["1.5E-3", "0.0015", true],
  ["1.5 \\times 10^{3}", "1500", true],
  ["2 × 10^3", "2000", true],
  ["1e3", "1001", false],
  // text answers
  ["Yes", "yes", true],
  ["(B)", "(b)", true],
  ["x + 1", "x+1", true],
  ["yes", "no", false],
  ["five", "5", false],
  // no answer never matches
  ["", "", false],
  ["   ", "0", false],
  ["4\u00002", "42", false],
  ["4\u00002", "4\u00002", false],
  ["\u0663", "3", false],
  ["\u0663", "\u0663", false],
];

describe("answersMatch on a table of tricky pairs", () => {
  it("has at least 60 pairs", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(60);
  });

  for (const [a, b, same] of pairs) {
    it(`${JSON.stringify(a)} ${same ? "=" : "≠"} ${JSON.stringify(b)}, both ways`, () => {
      expect(answersMatch(a, b)).toBe(same);
      expect(answersMatch(b, a)).toBe(same);
    });
  }
});

describe("answersMatch options", () => {
  it('percent: "value" drops the sign, "fraction" divides by 100', () => {
    expect(answersMatch("50%", "50", { percent: "value" })).toBe(true);
    expect(answersMatch("50%", "0.5", { percent: "value" })).toBe(false);
    expect(answersMatch("50%", "0.5", { percent: "fraction" })).toBe(true);
    expect(answersMatch("50%", "50", { percent: "fraction" })).toBe(false);
    expect(answersMatch("50%", "50%", { percent: "fraction" })).toBe(true);
  });

  it('units: "strict" compares the unit text', () => {
    expect(answersMatch("5 cm", "5", { units: "strict" })).toBe(false);
    expect(answersMatch("5 cm", "5cm", { units: "strict" })).toBe(true);
    expect(answersMatch("5 cm", "5 m", { units: "strict" })).toBe(false);
    expect(answersMatch("5 cm", "5 m")).toBe(true);
  });

  it('unicodeDigits: "fold" reads other scripts\' digits', () => {
    expect(answersMatch("\u0663", "3", { unicodeDigits: "fold" })).toBe(true);
    expect(answersMatch("\u0661\u0662", "12", { unicodeDigits: "fold" })).toBe(true);
    expect(answersMatch("\uff14\uff12", "42", { unicodeDigits: "fold" })).toBe(true);
    expect(answersMatch("\u0967\u0968", "12", { unicodeDigits: "fold" })).toBe(true); // Devanagari १२
  });

  it("answers longer than maxLength are no answer", () => {
    expect(answersMatch("7", "7", { maxLength: 1 })).toBe(true);
    expect(answersMatch("77", "77", { maxLength: 1 })).toBe(false);
  });
});

describe("exact arithmetic", () => {
  it("distinguishes numbers that round to the same double", () => {
    // 2^53 + 1 is not representable as a double: Number() would make these equal.
    expect(Number("9007199254740993")).toBe(Number("9007199254740992"));
    expect(answersMatch("9007199254740993", "9007199254740992")).toBe(false);
    expect(answersMatch("0.1000000000000000055511151231257827", "0.1")).toBe(false);
  });

  it("normalises to integers, terminating decimals or reduced fractions", () => {
    expect(normalizeAnswer("1,450,000")).toBe("1450000");
    expect(normalizeAnswer("$5.00")).toBe("5");
    expect(normalizeAnswer("\\frac{2}{6}")).toBe("1/3");
    expect(normalizeAnswer("3/4")).toBe("0.75");
    expect(normalizeAnswer("-1 1/2")).toBe("-1.5");
    expect(normalizeAnswer("0.050")).toBe("0.05");
    expect(normalizeAnswer("50%")).toBe("50%");
    expect(normalizeAnswer("Yes")).toBe("yes");
    expect(normalizeAnswer("")).toBeNull();
  });

  it("keeps huge exponents and digit strings bounded instead of hanging", () => {
    const start = performance.now();
    expect(parseAnswer("1e999999999")?.kind).toBe("text");
    expect(answersMatch("9".repeat(999), "9".repeat(999))).toBe(true);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

// Integers and decimals written plainly, as a grader sees them from a model.
const decimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }))
  .map(([units, places]) => {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(places + 1, "0");
    const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
    return { units, places, text: negative ? `-${text}` : text };
  });

function withSeparators(text: string): string {
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  const [int, frac] = body.split(".");
  let grouped = "";
  for (let i = 0; i < int.length; i++) {
    if (i > 0 && (int.length - i) % 3 === 0) grouped += ",";
    grouped += int[i];
  }
  return (negative ? "-" : "") + grouped + (frac === undefined ? "" : `.${frac}`);
}

const answerText = fc.oneof(
  decimal.map((d) => d.text),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "3/4",
    "\\frac{3}{4}",
    "1 1/2",
    "50%",
    "$5.00",
    "5 cm",
    "-3",
    "\u22123",
    "yes",
    "1e3",
    "0.75",
  ),
);

describe("properties", () => {
  it("is symmetric", () => {
    fc.assert(
      fc.property(answerText, answerText, (a, b) => answersMatch(a, b) === answersMatch(b, a)),
      {
        numRuns: 2000,
      },
    );
  });

  it("is reflexive for every string that holds an answer", () => {
    fc.assert(
      fc.property(answerText, (a) => parseAnswer(a) === null || answersMatch(a, a)),
      { numRuns: 2000 },
    );
  });

  it("thousands separators and a trailing .0 do not change the verdict", () => {
    fc.assert(
      fc.property(decimal, decimal, (x, y) => {
        const verdict = answersMatch(x.text, y.text);
        const xInt = x.places === 0;
        return (
          answersMatch(withSeparators(x.text), y.text) === verdict &&
          answersMatch(x.text, withSeparators(y.text)) === verdict &&
          answersMatch(xInt ? `${x.text}.0` : `${x.text}0`, y.text) === verdict &&
          answersMatch(withSeparators(x.text), withSeparators(y.text)) === verdict
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("two decimals match exactly when their scaled integers agree", () => {
    // Independent oracle: x = units·10^-places; compare units_x·10^p_y with units_y·10^p_x.
    fc.assert(
      fc.property(decimal, decimal, (x, y) => {
        const same = x.units * 10n ** BigInt(y.places) === y.units * 10n ** BigInt(x.places);
        return answersMatch(x.text, y.text) === same;
      }),
      { numRuns: 2000 },
    );
  });

  it("a number matches itself written as a fraction over a power of ten", () => {
    fc.assert(
      fc.property(decimal, (x) => answersMatch(x.text, `${x.units}/${10n ** BigInt(x.places)}`)),
      { numRuns: 1000 },
    );
  });
});
