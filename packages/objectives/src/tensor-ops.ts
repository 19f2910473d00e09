import { assertFinite, ConfigError, ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";

/** The tensor type every objective in this package works on. */
export type Tensor = tf.Tensor;

/**
 * sg[x]: the value of `x` with a zero gradient. tfjs-core has no `stopGradient` op, so this is a
 * custom gradient that returns zeros.
 */
export function stopGradient(x: Tensor): Tensor {
  const sg = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as Tensor),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  }));
  return sg(x);
}

/**
 * Σ m·x / max(Σ m, 1) over every entry (the masked token mean), or the plain mean without a mask.
 * The clamp keeps an all-masked batch at 0 instead of 0/0 (TRL `clamp(min=1)`).
 */
export function maskedMean(x: Tensor, mask?: Tensor): Tensor {
  if (!mask) return tf.mean(x);
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
}

/**
 * Broadcasts a per-sample `[B]` tensor against a per-token `[B, T]` one by adding a trailing axis;
 * returns `x` unchanged when the ranks already match.
 */
export function alignTo(x: Tensor, like: Tensor): Tensor {
  if (x.rank === like.rank) return x;
  if (x.rank === 1 && like.rank === 2) return tf.reshape(x, [x.shape[0], 1]);
  return x;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Throws {@link ShapeError} unless `t` has exactly `shape`. */
export function assertShape(field: string, t: Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(field, shapeText(shape), shapeText(t.shape));
  }
}

/**
 * Checks the per-position inputs of a loss: `logprobs` is `[B]` or `[B, T]` and non-empty, and each
 * other named tensor either has its shape or, where `perSample` allows, is `[B]`.
 */
export function assertLossShapes(
  logprobs: Tensor,
  fields: Readonly<Record<string, Tensor | undefined>>,
  perSample: readonly string[] = [],
): void {
  if (logprobs.rank !== 1 && logprobs.rank !== 2) {
    throw new ShapeError("logprobs", "[B] or [B, T]", shapeText(logprobs.shape));
  }
  if (logprobs.size === 0) {
    throw new ShapeError("logprobs", "at least one entry (the mean of an empty batch is undefined)", "0");
  }
  for (const [field, t] of Object.entries(fields)) {
    if (!t) continue;
    const sameShape = t.rank === logprobs.rank && t.shape.every((d, i) => d === logprobs.shape[i]);
    const asSample = perSample.includes(field) && t.rank === 1 && t.shape[0] === logprobs.shape[0];
    if (!sameShape && !asSample) {
      const expected = perSample.includes(field)
        ? `${shapeText(logprobs.shape)} (like logprobs) or [${logprobs.shape[0]}] (one per sample)`
        : `${shapeText(logprobs.shape)} (like logprobs)`;
      throw new ShapeError(field, expected, shapeText(t.shape));
    }
  }
}

/** Throws `NonFiniteError` naming the field and index of the first NaN/±Infinity in any given tensor. */
export function assertFiniteTensors(fields: Readonly<Record<string, Tensor | undefined>>): void {
  for (const [field, t] of Object.entries(fields)) {
    if (t) assertFinite(field, t.dataSync());
  }
}

/** Throws {@link ConfigError} when an input the options call for is missing. */
export function requireInput<T>(field: string, value: T | undefined, why: string): T {
  if (value === undefined) throw new ConfigError(`inputs.${field}`, value, `pass ${field}: ${why}`);
  return value;
}

/**
 * Reads scalar tensors back as numbers in one download (one `dataSync` for all of them). Call inside
 * `tf.tidy` so the stacked copy is freed.
 */
export function readScalars(scalars: Readonly<Record<string, Tensor>>): Record<string, number> {
  const names = Object.keys(scalars);
  if (names.length === 0) return {};
  // A cast or reshape that changes nothing is still a kernel (and, under a gradient tape, a saved copy).
  const asScalar = (t: Tensor) => {
    const f = t.dtype === "float32" ? t : tf.cast(t, "float32");
    return f.rank === 0 ? f : tf.reshape(f, []);
  };
  const values = tf.stack(names.map((n) => asScalar(scalars[n]))).dataSync();
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    out[n] = values[i];
  });
  return out;
}
