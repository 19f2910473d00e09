import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-core's Node entry registers no gradients; this ESM module registers them all (vitest inlines it).
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { expect } from "vitest";

/** Selects the cpu backend; call in beforeAll. */
export async function useCpu(): Promise<void> {
  await tf.setBackend("cpu");
  await tf.ready();
}

/** Central differences of a float64 function: ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h. */
export function centralDifferences(f: (x: number[]) => number, x: readonly number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Compares a float32 tfjs gradient with float64 central differences, entry by entry. */
export function expectGradientsClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tol = 2e-4,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(
      Math.abs(actual[i] - expected[i]) / scale,
      `entry ${i}: ${actual[i]} vs ${expected[i]}`,
    ).toBeLessThan(tol);
  }
}

/** Asserts that running `body` leaves no tensor allocated (disposes what it returns if asked). */
export function expectNoLeak(body: () => void): void {
  const before = tf.memory().numTensors;
  body();
  expect(tf.memory().numTensors).toBe(before);
}

/** The gradient of `f` at `x` as plain numbers (tensors disposed). */
export function gradientAt(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number[] {
  const g = tf.grad(f)(x);
  const out = Array.from(g.dataSync());
  g.dispose();
  return out;
}

/** Reads a scalar tensor and disposes it. */
export function take(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

export { tf };
