/**
 * Character-level helpers shared by extraction and parsing. Everything here scans linearly: graders run
 * on untrusted model output, so no helper may backtrack.
 */

/** How digits of other scripts (Arabic-Indic `٣`, Devanagari `३`, fullwidth `３`, ...) are treated. */
export type UnicodeDigits = "reject" | "fold";

let bmpDigitValues: Int8Array | undefined;

// Built lazily on first use (never on import): value + 1 of each BMP code point of category Nd, else 0.
// Unicode encodes every decimal digit set as a contiguous run 0..9, so a digit's value is its distance
// from the start of its run, modulo 10 (some runs, e.g. mathematical digits, are several sets back to back).
function digitTable(): Int8Array {
  if (bmpDigitValues) return bmpDigitValues;
  const table = new Int8Array(0x10000);
  const isDigit = /\p{Nd}/u;
  let runStart = -1;
  for (let c = 0; c < 0x10000; c++) {
    const digit = c < 0xd800 || c > 0xdfff ? isDigit.test(String.fromCharCode(c)) : false;
    if (!digit) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = c;
    table[c] = ((c - runStart) % 10) + 1;
  }
  bmpDigitValues = table;
  return table;
}

const astralDigit = /^\p{Nd}$/u;

/** The value 0–9 of a decimal digit of any script at code point `cp`, or -1. */
export function digitValue(cp: number): number {
  if (cp >= 48 && cp <= 57) return cp - 48;
  if (cp < 0x80) return -1;
  if (cp < 0x10000) return digitTable()[cp] - 1;
  if (!astralDigit.test(String.fromCodePoint(cp))) return -1;
  let start = cp;
  while (astralDigit.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/** Whether `code` (a UTF-16 code unit) is `0`–`9`. */
export function isAsciiDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Whether `text` holds a thousands group at `p`: `separator` and exactly three ASCII digits (the `,234`
 * of `1,234,567`), not followed by a fourth.
 */
export function isThousandsGroup(text: string, p: number, separator: string): boolean {
  return (
    text[p] === separator &&
    isAsciiDigit(text.charCodeAt(p + 1)) &&
    isAsciiDigit(text.charCodeAt(p + 2)) &&
    isAsciiDigit(text.charCodeAt(p + 3)) &&
    !isAsciiDigit(text.charCodeAt(p + 4))
  );
}

/** Whether `text` holds a decimal digit of a script other than ASCII. */
export function hasNonAsciiDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    const cp = text.codePointAt(i)!;
    if (digitValue(cp) >= 0) return true;
    if (cp > 0xffff) i++;
  }
  return false;
}

/** Replaces every decimal digit of another script by its ASCII digit. */
export function foldDigits(text: string): string {
  if (!hasNonAsciiDigit(text)) return text;
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const value = cp < 0x80 ? -1 : digitValue(cp);
    out += value >= 0 ? String.fromCharCode(48 + value) : ch;
  }
  return out;
}

/**
 * Whether `text` holds a control character that never belongs in an answer: C0 controls other than
 * tab, line feed and carriage return (NUL included), and DEL.
 */
export function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 32 && code !== 9 && code !== 10 && code !== 13) || code === 127) return true;
  }
  return false;
}

/** Whether code unit `code` is a control character in the sense of {@link hasControlChar}. */
export function isControlCode(code: number): boolean {
  return (code < 32 && code !== 9 && code !== 10 && code !== 13) || code === 127;
}

/** Whether `code` is white space (ASCII space, tab, newlines, no-break and thin spaces). */
export function isSpace(code: number): boolean {
  return (
    code === 32 ||
    code === 9 ||
    code === 10 ||
    code === 13 ||
    code === 11 ||
    code === 12 ||
    code === 0xa0 ||
    code === 0x2009 ||
    code === 0x202f ||
    code === 0x2007 ||
    code === 0x2002 ||
    code === 0x2003
  );
}

/** Whether braces `{}` in `text` are balanced and never close before they open. */
export function bracesBalanced(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 92 /* \ */ && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // `\{` and `\}` are literal braces in LaTeX, not grouping.
      if (next === 123 || next === 125) {
        i++;
        continue;
      }
    }
    if (code === 123) depth++;
    else if (code === 125 && --depth < 0) return false;
  }
  return depth === 0;
}

/** Minus signs that models and LaTeX write instead of `-`: U+2212, U+2012, U+2013, U+FE63, U+FF0D. */
export function isMinusCode(code: number): boolean {
  return (
    code === 45 || code === 0x2212 || code === 0x2012 || code === 0x2013 || code === 0xfe63 || code === 0xff0d
  );
}

/** Replaces every minus-like character by ASCII `-` and fullwidth plus by `+`. */
export function foldSigns(text: string): string {
  let changed = false;
  for (let i = 0; i < text.length && !changed; i++) {
    const code = text.charCodeAt(i);
    changed = code !== 45 && (isMinusCode(code) || code === 0xff0b);
  }
  if (!changed) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += isMinusCode(code) ? "-" : code === 0xff0b ? "+" : text[i];
  }
  return out;
}
