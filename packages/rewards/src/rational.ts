/**
 * An exact rational number `num / den` in lowest terms with `den > 0`. Answers are compared as rationals
 * so that `0.1 + 0.2`-style float error can never turn a right answer wrong (or a wrong one right).
 */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** `num / den` reduced to lowest terms with a positive denominator; `null` when `den` is 0. */
export function rational(num: bigint, den: bigint = 1n): Rational | null {
  if (den === 0n) return null;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** `a + b`. */
export function add(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den)!;
}

/** `a · b`. */
export function multiply(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den)!;
}

/** `a / b`, or `null` when `b` is 0. */
export function divide(a: Rational, b: Rational): Rational | null {
  return rational(a.num * b.den, a.den * b.num);
}

/** `-a`. */
export function negate(a: Rational): Rational {
  return { num: -a.num, den: a.den };
}

/** Exact equality: both are in lowest terms, so equal values have equal parts. */
export function equals(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

/** `10^exponent` as a rational (exponent may be negative). */
export function powerOfTen(exponent: number): Rational {
  const p = 10n ** BigInt(Math.abs(exponent));
  return exponent >= 0 ? { num: p, den: 1n } : { num: 1n, den: p };
}

/**
 * Canonical text of a rational: an integer (`-3`), a terminating decimal without trailing zeros
 * (`0.75`), or a fraction (`1/3`) when the decimal does not terminate.
 */
export function formatRational(value: Rational): string {
  const { num, den } = value;
  if (den === 1n) return num.toString();
  let twos = 0;
  let fives = 0;
  let rest = den;
  while (rest % 2n === 0n) {
    rest /= 2n;
    twos++;
  }
  while (rest % 5n === 0n) {
    rest /= 5n;
    fives++;
  }
  if (rest !== 1n) return `${num.toString()}/${den.toString()}`;
  const places = Math.max(twos, fives);
  const scaled = (num * 10n ** BigInt(places)) / den;
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, "0");
  const text = `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
  return negative ? `-${text}` : text;
}
