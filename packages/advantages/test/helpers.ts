import { expect } from "vitest";

/** Asserts `actual[i] ≈ expected[i]` for every i, to `digits` decimal places, with equal lengths. */
export function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], digits);
}

/** Asserts |a − b| ≤ rel·(1 + |b|) for every index: a relative tolerance that also works near 0. */
export function expectAllNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `index ${i}`).toBeLessThanOrEqual(
      rel * (1 + Math.abs(expected[i])),
    );
  }
}
