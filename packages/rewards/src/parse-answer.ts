import {
  add,
  divide,
  formatRational,
  multiply,
  negate,
  powerOfTen,
  type Rational,
  rational,
} from "./rational.js";
import {
  foldDigits,
  foldSigns,
  hasControlChar,
  hasNonAsciiDigit,
  isAsciiDigit,
  isSpace,
  isThousandsGroup,
  type UnicodeDigits,
} from "./text.js";

/**
 * How a percentage compares with a plain number when only one side carries `%`:
 * - `either` (default, the common grader choice): `50%` matches both `50` and `0.5`;
 * - `value`: `50%` matches `50` only (the `%` is dropped like a unit);
 * - `fraction`: `50%` matches `0.5` only (the `%` means ÷100).
 * Two percentages always compare by their values (`50%` = `50.0%`, `50%` ≠ `0.5%`).
 */
export type PercentMode = "either" | "value" | "fraction";

/** Whether text after a number (`5 cm`, `12 apples`) is ignored (default) or must be equal on both sides. */
export type UnitMode = "ignore" | "strict";

/** Options of {@link parseAnswer}, {@link answersMatch} and {@link normalizeAnswer}. */
export interface AnswerMatchOptions {
  /** How `%` compares with a plain number. Default `"either"`. */
  readonly percent?: PercentMode;
  /** Units after a number. Default `"ignore"`: `5 cm` matches `5`. */
  readonly units?: UnitMode;
  /** Digits of other scripts: `"reject"` (default: no answer, as regex graders do) or `"fold"` to ASCII. */
  readonly unicodeDigits?: UnicodeDigits;
  /** Answers longer than this many characters are not answers. Default 1000. */
  readonly maxLength?: number;
}

/** Defaults of {@link AnswerMatchOptions}. */
export const answerMatchDefaults = {
  percent: "either",
  units: "ignore",
  unicodeDigits: "reject",
  maxLength: 1000,
} as const satisfies Required<AnswerMatchOptions>;

/** An answer read by {@link parseAnswer}: an exact number, or normalised text for anything else. */
export type ParsedAnswer =
  | {
      readonly kind: "number";
      readonly value: Rational;
      /** Written with `%` (or "percent"); `value` is then the number before the sign. */
      readonly percent: boolean;
      /** Text after the number, lower-cased without spaces (`"cm"`), or `""`. */
      readonly unit: string;
    }
  | { readonly kind: "text"; readonly text: string };

// More digits than this is not an answer anyone grades; it also bounds BigInt work on hostile input.
const maxDigits = 400;
// Exponents beyond this (1e999999) would make BigInt powers slow; no graded answer needs them.
const maxExponent = 400;
const currencySigns = "$€£¥₹";
const groupSeparators = ",\u2009\u202f\u2007";

// `\text{ cm}` → ` cm`, for each command name; one left-to-right pass per name.
function unwrapCommands(text: string, names: readonly string[]): string {
  for (const name of names) {
    const open = `\\${name}{`;
    let index = text.indexOf(open);
    if (index < 0) continue;
    let out = "";
    let last = 0;
    while (index >= 0) {
      let depth = 1;
      let j = index + open.length;
      for (; j < text.length && depth > 0; j++) {
        const code = text.charCodeAt(j);
        if (code === 123) depth++;
        else if (code === 125) depth--;
      }
      if (depth !== 0) break; // unbalanced: leave it, the number scan then fails cleanly
      out += text.slice(last, index) + text.slice(index + open.length, j - 1);
      last = j;
      index = text.indexOf(open, j);
    }
    text = out + text.slice(last);
  }
  return text;
}

const latexReplacements: readonly (readonly [string, string])[] = [
  ["\\dfrac", "\\frac"],
  ["\\tfrac", "\\frac"],
  ["\\left", ""],
  ["\\right", ""],
  ["\\!", ""],
  ["\\,", "\u2009"],
  ["{,}", ","],
  ["\\;", " "],
  ["\\:", " "],
  ["\\ ", " "],
  ["\\%", "%"],
  ["\\$", "$"],
  ["^{\\circ}", "°"],
  ["^\\circ", "°"],
  ["\\times", "×"],
  ["\\cdot", "×"],
];

function stripWrappers(text: string): string {
  for (let round = 0; round < 8; round++) {
    const before = text;
    text = text.trim();
    if (text.length >= 2 && text.startsWith("**") && text.endsWith("**") && text.length >= 4) {
      text = text.slice(2, -2);
    }
    if (text.length >= 3 && text.startsWith("$") && text.endsWith("$")) {
      // `$5$` is LaTeX math; `$$5$$` is display math. A lone leading `$` is currency and stays.
      text =
        text.startsWith("$$") && text.endsWith("$$") && text.length >= 5
          ? text.slice(2, -2)
          : text.slice(1, -1);
    }
    if (
      (text.startsWith("\\(") && text.endsWith("\\)")) ||
      (text.startsWith("\\[") && text.endsWith("\\]"))
    ) {
      text = text.slice(2, -2);
    }
    if (text.startsWith("\\boxed{") && text.endsWith("}")) text = text.slice(7, -1);
    let end = text.length;
    while (end > 0 && ".,;:!".includes(text[end - 1])) end--;
    text = text.slice(0, end);
    if (text === before) break;
  }
  return text.trim();
}

// `x = 5`, `ans=5`: drop a leading identifier and `=` (one only: `a = b = 5` is not an answer).
function stripAssignment(text: string): string {
  let i = 0;
  const first = text.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return text;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const word =
      (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || isAsciiDigit(code) || code === 95;
    if (!word) break;
  }
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (text[i] !== "=" || text.indexOf("=", i + 1) >= 0) return text;
  return text.slice(i + 1).trim();
}

/** Applies the text-level normalisation shared by every answer; `null` when it is no answer. */
function prepare(text: string, options: Required<AnswerMatchOptions>): string | null {
  if (typeof text !== "string" || text.length > options.maxLength || hasControlChar(text)) return null;
  if (hasNonAsciiDigit(text)) {
    if (options.unicodeDigits === "reject") return null;
    text = foldDigits(text);
  }
  text = foldSigns(text);
  if (text.includes("\\") || text.includes("{") || text.includes("^")) {
    for (const [from, to] of latexReplacements) if (text.includes(from)) text = text.replaceAll(from, to);
    text = unwrapCommands(text, ["text", "textbf", "textrm", "mathrm", "mathbf", "mbox", "operatorname"]);
  }
  text = stripAssignment(stripWrappers(text));
  return text.length > 0 ? text : null;
}

class NumberScanner {
  p = 0;
  constructor(
    readonly s: string,
    readonly depth = 0,
  ) {}

  code(offset = 0): number {
    return this.s.charCodeAt(this.p + offset);
  }

  skipSpaces(): number {
    const start = this.p;
    while (this.p < this.s.length && isSpace(this.code())) this.p++;
    return this.p - start;
  }

  startsWith(word: string): boolean {
    return this.s.startsWith(word, this.p);
  }

  /** Digits with optional thousands groups and decimals: `1,234.50`, `.5`, `7`. */
  literal(): { value: Rational; integer: boolean } | null {
    const s = this.s;
    let p = this.p;
    let intDigits = "";
    while (p < s.length && isAsciiDigit(s.charCodeAt(p))) intDigits += s[p++];
    if (intDigits.length > 0 && intDigits.length <= 3 && intDigits[0] !== "0" && p < s.length) {
      const separator = s[p];
      if (groupSeparators.includes(separator)) {
        // Groups of exactly three digits after the first group of one to three: `1,234,567`.
        while (isThousandsGroup(s, p, separator)) {
          intDigits += s.slice(p + 1, p + 4);
          p += 4;
        }
      }
    }
    let fracDigits = "";
    if (s[p] === "." && isAsciiDigit(s.charCodeAt(p + 1))) {
      p++;
      while (p < s.length && isAsciiDigit(s.charCodeAt(p))) fracDigits += s[p++];
    }
    if (intDigits.length === 0 && fracDigits.length === 0) return null;
    if (intDigits.length + fracDigits.length > maxDigits) return null;
    this.p = p;
    const value = rational(BigInt(intDigits + fracDigits || "0"), 10n ** BigInt(fracDigits.length))!;
    return { value, integer: fracDigits.length === 0 };
  }

  /** A signed integer exponent of at most a few digits, or null (position unchanged). */
  exponent(): number | null {
    const start = this.p;
    let sign = 1;
    if (this.code() === 43 || this.code() === 45) {
      sign = this.code() === 45 ? -1 : 1;
      this.p++;
    }
    let digits = "";
    while (this.p < this.s.length && isAsciiDigit(this.code())) digits += this.s[this.p++];
    if (digits.length === 0 || digits.length > 4 || Number(digits) > maxExponent) {
      this.p = start;
      return null;
    }
    return sign * Number(digits);
  }

  /** `{...}` holding a signed number, or a single digit (`\frac34`). */
  fracArgument(): Rational | null {
    this.skipSpaces();
    if (this.code() === 123 /* { */) {
      let depth = 1;
      let j = this.p + 1;
      for (; j < this.s.length && depth > 0; j++) {
        const code = this.s.charCodeAt(j);
        if (code === 123) depth++;
        else if (code === 125) depth--;
      }
      if (depth !== 0 || this.depth >= 8) return null;
      const inner = new NumberScanner(this.s.slice(this.p + 1, j - 1), this.depth + 1);
      const value = inner.signedMagnitude();
      inner.skipSpaces();
      if (value === null || inner.p !== inner.s.length) return null;
      this.p = j;
      return value;
    }
    if (isAsciiDigit(this.code())) {
      this.p++;
      return rational(BigInt(this.s[this.p - 1]))!;
    }
    return null;
  }

  latexFraction(): Rational | null {
    if (!this.startsWith("\\frac")) return null;
    this.p += 5;
    const numerator = this.fracArgument();
    if (numerator === null) return null;
    const denominator = this.fracArgument();
    if (denominator === null) return null;
    return divide(numerator, denominator);
  }

  signedMagnitude(): Rational | null {
    this.skipSpaces();
    let negative = false;
    if (this.code() === 43 || this.code() === 45) {
      negative = this.code() === 45;
      this.p++;
      this.skipSpaces();
    }
    const value = this.magnitude();
    return value === null ? null : negative ? negate(value) : value;
  }

  /** An unsigned number: literal, fraction, mixed number, LaTeX fraction, scientific notation. */
  magnitude(): Rational | null {
    if (this.startsWith("\\frac")) return this.latexFraction();
    const literal = this.literal();
    if (literal === null) return null;
    let value = literal.value;
    let plainInteger = literal.integer;
    // Scientific notation: `1.5e3`, `1.5E-3`, `1.5 × 10^3`, `1.5 × 10^{3}`.
    if ((this.code() === 101 || this.code() === 69) && this.s.length > this.p + 1) {
      const save = this.p;
      this.p++;
      const e = this.exponent();
      if (e === null) this.p = save;
      else {
        value = multiply(value, powerOfTen(e));
        plainInteger = false;
      }
    }
    {
      const save = this.p;
      this.skipSpaces();
      const times = this.code();
      if (times === 0xd7 /* × */ || times === 42 /* * */ || times === 120 /* x */) {
        this.p++;
        this.skipSpaces();
        if (this.startsWith("10") && !isAsciiDigit(this.code(2))) {
          this.p += 2;
          this.skipSpaces();
          let e: number | null = null;
          if (this.code() === 94 /* ^ */) {
            this.p++;
            if (this.code() === 123) {
              this.p++;
              e = this.exponent();
              if (this.code() !== 125) e = null;
              else this.p++;
            } else e = this.exponent();
          }
          if (e !== null) {
            value = multiply(value, powerOfTen(e));
            plainInteger = false;
          } else this.p = save;
        } else this.p = save;
      } else this.p = save;
    }
    // Simple fraction `3/4`, `1.5 / 3`.
    {
      const save = this.p;
      this.skipSpaces();
      if (this.code() === 47 /* / */) {
        this.p++;
        this.skipSpaces();
        const denominator = this.literal();
        if (denominator === null) this.p = save;
        else return divide(value, denominator.value);
      } else this.p = save;
    }
    // Mixed number `1 1/2` or `1\frac{1}{2}`: only after a plain integer.
    if (plainInteger) {
      const save = this.p;
      const spaces = this.skipSpaces();
      if (this.startsWith("\\frac")) {
        const part = this.latexFraction();
        if (part !== null && part.num >= 0n) return add(value, part);
        this.p = save;
      } else if (spaces > 0 && isAsciiDigit(this.code())) {
        const whole = this.literal();
        this.skipSpaces();
        if (whole?.integer && this.code() === 47) {
          this.p++;
          this.skipSpaces();
          const denominator = this.literal();
          if (denominator?.integer) {
            const part = divide(whole.value, denominator.value);
            if (part !== null && part.num < part.den) return add(value, part);
            if (part === null) return null;
          }
        }
        this.p = save;
      } else this.p = save;
    }
    return value;
  }
}

const variableLetters = "xyznik";

function readUnit(rest: string): string | null {
  let unit = "";
  let afterCaret = false;
  for (const ch of rest) {
    const code = ch.codePointAt(0)!;
    if (isSpace(code)) {
      afterCaret = false;
      continue;
    }
    if (isAsciiDigit(code)) {
      if (!afterCaret) return null;
    } else if (ch === "^") afterCaret = true;
    else if (ch === "{" || ch === "-") {
      // keep afterCaret: `m^{-2}`
    } else if (/[\p{L}.'/()}²³°$€£¥₹]/u.test(ch)) afterCaret = false;
    else return null;
    unit += ch.toLowerCase();
  }
  if (unit.length > 0 && !/^[\p{L}°$€£¥₹(]/u.test(unit)) return null;
  return unit;
}

function scanNumber(text: string): ParsedAnswer | null {
  const scanner = new NumberScanner(text);
  scanner.skipSpaces();
  let negative = false;
  let signSeen = false;
  if (scanner.code() === 43 || scanner.code() === 45) {
    negative = scanner.code() === 45;
    signSeen = true;
    scanner.p++;
    scanner.skipSpaces();
  }
  if (currencySigns.includes(scanner.s[scanner.p] ?? "\0")) {
    scanner.p++;
    scanner.skipSpaces();
    if (!signSeen && (scanner.code() === 43 || scanner.code() === 45)) {
      negative = scanner.code() === 45;
      scanner.p++;
      scanner.skipSpaces();
    }
  }
  let value = scanner.magnitude();
  if (value === null) return null;
  if (negative) value = negate(value);
  scanner.skipSpaces();
  let percent = false;
  if (scanner.code() === 37 /* % */) {
    percent = true;
    scanner.p++;
  } else if (/^percent\b/i.test(scanner.s.slice(scanner.p, scanner.p + 8))) {
    percent = true;
    scanner.p += 7;
  }
  const rest = scanner.s.slice(scanner.p);
  const unit = readUnit(rest);
  if (unit === null) return null;
  // `5x`, `3n`: a single variable letter glued to a number is algebra, not a unit.
  if (unit.length === 1 && variableLetters.includes(unit) && !isSpace(rest.charCodeAt(0))) return null;
  return { kind: "number", value, percent, unit };
}

const resolvedMark = Symbol("resolved");

/** Fills in the defaults once, so that graders calling {@link parseAnswer} per sample skip the work. */
export function resolveOptions(options: AnswerMatchOptions | undefined): Required<AnswerMatchOptions> {
  if (options && (options as { [resolvedMark]?: true })[resolvedMark])
    return options as Required<AnswerMatchOptions>;
  const { percent, units, unicodeDigits, maxLength } = { ...answerMatchDefaults, ...stripUndefined(options) };
  return { percent, units, unicodeDigits, maxLength, [resolvedMark]: true } as Required<AnswerMatchOptions>;
}

// A plain ASCII decimal (`42`, `-3`, `0.75`): the common case, read without the general pipeline.
function plainDecimal(text: string): ParsedAnswer | null {
  const n = text.length;
  if (n === 0 || n > 30) return null;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  let dot = -1;
  let digits = 0;
  for (; i < n; i++) {
    const code = text.charCodeAt(i);
    if (isAsciiDigit(code)) digits++;
    else if (code === 46 && dot < 0) dot = i;
    else return null;
  }
  if (digits === 0 || dot === n - 1) return null;
  const negative = text.charCodeAt(0) === 45;
  const body = text.slice(negative ? 1 : 0);
  const fracLength = dot < 0 ? 0 : n - dot - 1;
  const num = BigInt(dot < 0 ? body : body.replace(".", ""));
  const value = rational(negative ? -num : num, 10n ** BigInt(fracLength))!;
  return { kind: "number", value, percent: false, unit: "" };
}

function stripUndefined<T extends object>(options: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!options) return out;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * Reads an answer string (already extracted from a completion) as an exact number where it is one:
 * thousands separators (`1,234`, `1\,234`), currency (`$5.00`), signs (`+5`, `−5` with U+2212),
 * decimals, `3/4`, `\frac{3}{4}`, mixed numbers (`1 1/2`), percentages, scientific notation (`1.5e3`,
 * `1.5 \times 10^{3}`), and units after the number (`5 cm`). Anything else is kept as text, lower-cased
 * without white space. Returns `null` for no answer: empty, too long, holding a control character (NUL),
 * or digits of another script under `unicodeDigits: "reject"`. Scans linearly.
 */
export function parseAnswer(text: string, options?: AnswerMatchOptions): ParsedAnswer | null {
  const resolved = resolveOptions(options);
  if (typeof text === "string" && text.length <= resolved.maxLength) {
    const plain = plainDecimal(text);
    if (plain !== null) return plain;
  }
  const prepared = prepare(text, resolved);
  if (prepared === null) return null;
  const number = scanNumber(prepared);
  if (number !== null) return number;
  let normalised = "";
  for (const ch of prepared) if (!isSpace(ch.charCodeAt(0))) normalised += ch;
  normalised = normalised.toLowerCase();
  return normalised.length > 0 ? { kind: "text", text: normalised } : null;
}

function numbersMatch(
  a: Extract<ParsedAnswer, { kind: "number" }>,
  b: Extract<ParsedAnswer, { kind: "number" }>,
  options: Required<AnswerMatchOptions>,
): boolean {
  if (options.units === "strict" && a.unit !== b.unit) return false;
  const same = (x: Rational, y: Rational) => x.num === y.num && x.den === y.den;
  if (a.percent === b.percent) return same(a.value, b.value);
  const [pct, plain] = a.percent ? [a, b] : [b, a];
  const asFraction = divide(pct.value, { num: 100n, den: 1n })!;
  switch (options.percent) {
    case "value":
      return same(pct.value, plain.value);
    case "fraction":
      return same(asFraction, plain.value);
    default:
      return same(pct.value, plain.value) || same(asFraction, plain.value);
  }
}

/**
 * Whether two answers already read by {@link parseAnswer} are the same, under the same rules as
 * {@link answersMatch}. Lets a grader parse a reference once and compare many completions with it.
 */
export function parsedAnswersMatch(
  pa: ParsedAnswer | null,
  pb: ParsedAnswer | null,
  options?: AnswerMatchOptions,
): boolean {
  if (pa === null || pb === null) return false;
  if (pa.kind === "number" && pb.kind === "number") return numbersMatch(pa, pb, resolveOptions(options));
  if (pa.kind === "text" && pb.kind === "text") return pa.text === pb.text;
  return false;
}

/**
 * Whether two answers are the same. Numbers compare exactly as rationals (BigInt numerator and
 * denominator: `0.75` = `3/4` = `\frac{3}{4}`, `1 1/2` = `3/2`, `1,234` = `1234`, `$5.00` = `5`,
 * `−3` = `-3`); never by float `==`. Percentages follow `options.percent` (default: `50%` matches `50`
 * and `0.5`). Text answers compare lower-cased without white space. A number never matches text.
 * Symmetric; reflexive for every string that holds an answer. An empty answer, one with a control
 * character, or (by default) one with non-ASCII digits matches nothing, itself included: "no answer"
 * must never earn a reward.
 */
export function answersMatch(a: string, b: string, options?: AnswerMatchOptions): boolean {
  const resolved = resolveOptions(options);
  const pa = parseAnswer(a, resolved);
  if (pa === null) return false;
  const pb = parseAnswer(b, resolved);
  if (pb === null) return false;
  if (pa.kind === "number" && pb.kind === "number") return numbersMatch(pa, pb, resolved);
  if (pa.kind === "text" && pb.kind === "text") return pa.text === pb.text;
  return false;
}

/**
 * A canonical string for an answer: numbers as an integer, terminating decimal or `p/q` fraction
 * (`"1,450,000"` → `"1450000"`, `"$5.00"` → `"5"`, `"0.75"` → `"0.75"`, `"\frac{2}{6}"` → `"1/3"`), with
 * `%` kept and the unit appended under `units: "strict"`; text lower-cased without white space; `null`
 * for no answer.
 */
export function normalizeAnswer(text: string, options?: AnswerMatchOptions): string | null {
  const resolved = resolveOptions(options);
  const parsed = parseAnswer(text, resolved);
  if (parsed === null) return null;
  if (parsed.kind === "text") return parsed.text;
  let out = formatRational(parsed.value);
  if (parsed.percent) out += "%";
  if (resolved.units === "strict" && parsed.unit) out += ` ${parsed.unit}`;
  return out;
}
