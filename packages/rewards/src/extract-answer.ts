import {
  bracesBalanced,
  digitValue,
  foldDigits,
  hasControlChar,
  hasNonAsciiDigit,
  isAsciiDigit,
  isControlCode,
  isMinusCode,
  isSpace,
  isThousandsGroup,
  type UnicodeDigits,
} from "./text.js";

/**
 * Where the final answer sits in a completion:
 * - `gsm8k`: after the last `####`, to the end of that line (`#### 42`);
 * - `answer-line`: after the last `The final answer is`, `The answer is`, `Answer:` (any letter case,
 *   bold allowed: `**Answer:**`) or a line starting `A:`, to the end of that line or of its first clause
 *   (a `,`, `;` or `.` followed by white space);
 * - `boxed`: inside the last `\boxed{...}` (or `\fbox{...}`), nested braces included;
 * - `answer-tag`: between the last `<answer>` and the next `</answer>`;
 * - `last-number`: the last number in the text (`1,234.5`, `-3`, `3/4`, `50%`);
 * - `auto`: the first of `answer-tag`, `boxed`, `gsm8k`, `answer-line` whose marker occurs in the text,
 *   else `last-number`. Once a marker is found its verdict is final: a malformed `<answer>` is no answer,
 *   not an invitation to grade some other number in the text.
 */
export type AnswerFormat = "gsm8k" | "answer-line" | "boxed" | "answer-tag" | "last-number" | "auto";

/** Every {@link AnswerFormat}, for validation and documentation. */
export const answerFormats: readonly AnswerFormat[] = [
  "gsm8k",
  "answer-line",
  "boxed",
  "answer-tag",
  "last-number",
  "auto",
];

/** The order in which `auto` looks for markers (`last-number` is the fallback when none occurs). */
export const autoFormatOrder: readonly Exclude<AnswerFormat, "auto" | "last-number">[] = [
  "answer-tag",
  "boxed",
  "gsm8k",
  "answer-line",
];

/** Options of {@link extractAnswer}. */
export interface ExtractAnswerOptions {
  /** Where the answer is. Default `"auto"`. */
  readonly format?: AnswerFormat;
  /** Digits of other scripts: `"reject"` (default: no answer) or `"fold"` them to ASCII. */
  readonly unicodeDigits?: UnicodeDigits;
  /** An answer longer than this many characters is no answer. Default 1000. */
  readonly maxLength?: number;
}

/** Defaults of {@link ExtractAnswerOptions}. */
export const extractAnswerDefaults = {
  format: "auto",
  unicodeDigits: "reject",
  maxLength: 1000,
} as const satisfies Required<ExtractAnswerOptions>;

type Resolved = Required<ExtractAnswerOptions>;

// undefined: the format's marker does not occur; null: it occurs but holds no clean answer.
type Found = string | null | undefined;

/**
 * Applies the "no answer" rules of {@link extractAnswer} to a region already cut out of a completion:
 * trims it, and gives `null` when it is empty, longer than `maxLength`, holds a control character
 * (NUL), has unbalanced braces, or holds digits of another script (unless `unicodeDigits: "fold"`,
 * which folds them to ASCII).
 */
export function cleanAnswer(
  region: string,
  options: Pick<ExtractAnswerOptions, "unicodeDigits" | "maxLength"> = {},
): string | null {
  return clean(region, {
    format: "auto",
    unicodeDigits: options.unicodeDigits ?? extractAnswerDefaults.unicodeDigits,
    maxLength: options.maxLength ?? extractAnswerDefaults.maxLength,
  });
}

function clean(region: string, options: Resolved): string | null {
  const text = region.trim();
  if (text.length === 0 || text.length > options.maxLength) return null;
  if (hasControlChar(text) || !bracesBalanced(text)) return null;
  if (hasNonAsciiDigit(text)) return options.unicodeDigits === "fold" ? foldDigits(text) : null;
  return text;
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

function gsm8k(text: string, options: Resolved): Found {
  const marker = text.lastIndexOf("####");
  if (marker < 0) return undefined;
  const start = marker + 4;
  return clean(text.slice(start, lineEnd(text, start)), options);
}

function trimDecoration(region: string): string {
  let end = region.length;
  while (end > 0) {
    const code = region.charCodeAt(end - 1);
    if (isSpace(code) || code === 46 /* . */ || code === 42 /* * */) end--;
    else break;
  }
  let start = 0;
  while (start < end) {
    const code = region.charCodeAt(start);
    if (isSpace(code) || code === 58 /* : */ || code === 42 /* * */) start++;
    else break;
  }
  return region.slice(start, end);
}

// Whether `text` at `at` spells `word` (lower-case ASCII) in any letter case.
function spellsAt(text: string, at: number, word: string): boolean {
  if (at < 0 || at + word.length > text.length) return false;
  for (let k = 0; k < word.length; k++) {
    const want = word.charCodeAt(k);
    const got = text.charCodeAt(at + k);
    if (got !== want && !(want >= 97 && want <= 122 && got === want - 32)) return false;
  }
  return true;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

// Where the answer starts after a marker whose first letter is at `i`, or -1. Markers: `answer:`,
// `the answer is`, `the final answer is` (any letter case), and `A:` at the start of a line.
function markerEnd(text: string, i: number): number {
  const next = text.charCodeAt(i + 1);
  if (next === 58 /* : */) {
    let k = i - 1;
    while (k >= 0 && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9 || text.charCodeAt(k) === 42))
      k--;
    return k < 0 || text.charCodeAt(k) === 10 || text.charCodeAt(k) === 13 ? i + 2 : -1;
  }
  if (
    (next | 0x20) !== 110 /* n */ ||
    !spellsAt(text, i, "answer") ||
    isAsciiLetter(text.charCodeAt(i - 1))
  ) {
    return -1;
  }
  let j = i + 6;
  while (text.charCodeAt(j) === 42 /* * */) j++;
  if (text.charCodeAt(j) === 58) return j + 1;
  if (spellsAt(text, i + 6, " is") && !isAsciiLetter(text.charCodeAt(i + 9))) {
    if (spellsAt(text, i - 4, "the ") || spellsAt(text, i - 10, "the final ")) return i + 9;
  }
  return -1;
}

function answerLine(text: string, options: Resolved): Found {
  // One backward pass: the first marker met is the last one in the text.
  for (let i = text.length - 2; i >= 0; i--) {
    if ((text.charCodeAt(i) | 0x20) !== 97 /* a */) continue;
    const end = markerEnd(text, i);
    if (end < 0) continue;
    // An answer holds at most maxLength characters, so its clause is looked for in a bounded window:
    // a megabyte of text after the marker costs no more than a short line.
    const stop = Math.min(lineEnd(text, end), end + 2 * options.maxLength + 64);
    return clean(trimDecoration(firstClause(text.slice(end, stop))), options);
  }
  return undefined;
}

// `The answer is 7, since …` → `7, since …` → `7`: a comma, semicolon or full stop followed by white
// space ends the answer (`1,234` and `3.5` have no space after their separator, so they stay whole).
function firstClause(region: string): string {
  let seen = false; // anything but white space and delimiters yet?
  for (let k = 0; k + 1 < region.length; k++) {
    const code = region.charCodeAt(k);
    if (code === 44 || code === 59 || code === 46) {
      if (seen && isSpace(region.charCodeAt(k + 1))) return region.slice(0, k);
    } else if (!isSpace(code)) seen = true;
  }
  return region;
}

function boxed(text: string, options: Resolved): Found {
  const boxedAt = text.lastIndexOf("\\boxed");
  const fboxAt = text.lastIndexOf("\\fbox");
  if (boxedAt < 0 && fboxAt < 0) return undefined;
  let p = boxedAt > fboxAt ? boxedAt + 6 : fboxAt + 5;
  while (p < text.length && isSpace(text.charCodeAt(p))) p++;
  if (text.charCodeAt(p) !== 123 /* { */) {
    // `\boxed 5`: one token up to white space or `$`.
    let end = p;
    while (end < text.length && !isSpace(text.charCodeAt(end)) && text.charCodeAt(end) !== 36) end++;
    return end > p ? clean(text.slice(p, end), options) : null;
  }
  let depth = 0;
  for (let j = p; j < text.length; j++) {
    const code = text.charCodeAt(j);
    if (code === 92 /* \ */) {
      j++; // `\{` and `\}` do not nest
      continue;
    }
    if (code === 123) depth++;
    else if (code === 125 && --depth === 0) return clean(text.slice(p + 1, j), options);
  }
  return null; // unbalanced: never closes
}

function answerTag(text: string, options: Resolved): Found {
  const open = text.lastIndexOf("<answer>");
  if (open < 0) return undefined;
  const close = text.indexOf("</answer>", open + 8);
  if (close < 0) return null;
  return clean(text.slice(open + 8, close), options);
}

function isDigitAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (isAsciiDigit(code)) return 1;
  if (code < 0x80) return 0;
  if (code >= 0xdc00 && code <= 0xdfff && i > 0) {
    const cp = text.codePointAt(i - 1)!;
    return cp > 0xffff && digitValue(cp) >= 0 ? 2 : 0;
  }
  return code < 0xd800 || code > 0xdfff ? (digitValue(code) >= 0 ? 1 : 0) : 0;
}

const runSeparators = ",.\u2009\u202f\u2007/";

// The end of the longest number `1,234.5`, `.5` or `7` starting at `p` in `run`, or `p` if none. A
// leading `.` (`.5`) counts only at the start of the run: in `1.2.3` the second `.` separates.
function lexPart(run: string, p: number): number {
  let q = p;
  while (isAsciiDigit(run.charCodeAt(q))) q++;
  const digits = q - p;
  if (digits === 0) {
    if (p !== 0 || run[p] !== "." || !isAsciiDigit(run.charCodeAt(p + 1))) return p;
    q = p + 1;
    while (isAsciiDigit(run.charCodeAt(q))) q++;
    return q;
  }
  if (digits <= 3 && run[p] !== "0") {
    const separator = run[q];
    if (separator !== "." && separator !== "/" && runSeparators.includes(separator ?? "/")) {
      // Groups of exactly three digits: `1,234,567`.
      while (isThousandsGroup(run, q, separator)) q += 4;
    }
  }
  if (run[q] === "." && isAsciiDigit(run.charCodeAt(q + 1))) {
    q++;
    while (isAsciiDigit(run.charCodeAt(q))) q++;
  }
  return q;
}

// The end of the longest number or fraction (`3/4`) starting at `p`, or `p` if none.
function lexNumber(run: string, p: number): number {
  const q = lexPart(run, p);
  if (q === p || run[q] !== "/") return q;
  const r = lexPart(run, q + 1);
  return r > q + 1 ? r : q;
}

function lastNumber(text: string, options: Resolved): string | null {
  let i = text.length - 1;
  let width = 0;
  for (; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      if (code >= 48 && code <= 57) {
        width = 1;
        break;
      }
      continue;
    }
    width = isDigitAt(text, i);
    if (width > 0) break;
  }
  if (i < 0) return null;
  const end = i + 1;
  // Expand left over digits and separators, at most maxLength characters: a longer run is no answer.
  let start = end - width;
  while (start > 0) {
    const w = isDigitAt(text, start - 1);
    if (w > 0) start -= w;
    else if (runSeparators.includes(text[start - 1])) start--;
    else break;
    if (end - start > options.maxLength) return null;
  }
  while (start < end && runSeparators.includes(text[start]) && !(text[start] === "." && start + 1 < end))
    start++;
  let run = text.slice(start, end);
  if (hasNonAsciiDigit(run)) {
    if (options.unicodeDigits === "reject") return null;
    run = foldDigits(run);
  }
  // Split the run into numbers from the left, each as long as it can be, and keep the last one:
  // `1,2,3` → `3`, `1,034,567` → itself, `10/20/2020` → `2020`. One pass: no suffix is re-read.
  let cut = -1;
  for (let p = 0; p < run.length; ) {
    const e = lexNumber(run, p);
    if (e > p) {
      cut = p;
      p = e;
    } else p++;
  }
  if (cut < 0) return null;
  const tokenStart = start + cut;
  let tokenEnd = end;
  if (text.charCodeAt(tokenEnd) === 37 /* % */) tokenEnd++;
  // A NUL or other control character glued to the number poisons it: no answer.
  if (
    isControlCode(text.charCodeAt(tokenEnd)) ||
    (tokenStart > 0 && isControlCode(text.charCodeAt(tokenStart - 1)))
  ) {
    return null;
  }
  let sign = "";
  if (cut === 0 && tokenStart > 0 && isMinusCode(text.charCodeAt(tokenStart - 1))) {
    const before = tokenStart >= 2 ? text.charCodeAt(tokenStart - 2) : 32;
    if (isControlCode(before)) return null;
    // `3-5` is a range or a subtraction, not −5; a sign follows a space, `(`, `=`, `$`, `:` or the start.
    if (isSpace(before) || before === 40 || before === 61 || before === 36 || before === 58) sign = "-";
  }
  const token = run.slice(cut) + (tokenEnd > end ? "%" : "");
  return sign + token;
}

const extractors: Record<
  Exclude<AnswerFormat, "auto" | "last-number">,
  (text: string, o: Resolved) => Found
> = {
  gsm8k,
  "answer-line": answerLine,
  boxed,
  "answer-tag": answerTag,
};

/**
 * The final answer of a completion as a trimmed string, or `null` for no answer. See
 * {@link AnswerFormat} for where each format looks. "No answer" covers: no marker, an empty answer,
 * unbalanced braces (`\boxed{42`), an `<answer>` that never closes, a control character such as NUL,
 * digits of another script (unless `unicodeDigits: "fold"`) and answers longer than `maxLength`.
 * Every format scans the text linearly (no backtracking regular expression), so a 1 MB hostile
 * completion costs about as much as reading it once.
 */
export function extractAnswer(text: string, options: ExtractAnswerOptions = {}): string | null {
  if (typeof text !== "string") return null;
  const resolved: Resolved = {
    format: options.format ?? extractAnswerDefaults.format,
    unicodeDigits: options.unicodeDigits ?? extractAnswerDefaults.unicodeDigits,
    maxLength: options.maxLength ?? extractAnswerDefaults.maxLength,
  };
  const format = resolved.format;
  if (format === "last-number") return lastNumber(text, resolved);
  if (format !== "auto") return extractors[format]?.(text, resolved) ?? null;
  for (const name of autoFormatOrder) {
    const found = extractors[name](text, resolved);
    if (found !== undefined) return found;
  }
  return lastNumber(text, resolved);
}
