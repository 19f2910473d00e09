import { assertInteger } from "@rlts/core";
import * as ort from "onnxruntime-node";
import { OnnxModelFileError } from "./model-file.js";

/** onnxruntime session settings shared by every model of this package. */
export interface SessionOptions {
  /** Threads of one operator (onnxruntime `intraOpNumThreads`); 0 lets onnxruntime choose. Default 0. */
  readonly intraOpNumThreads?: number;
}

/** Defaults of {@link SessionOptions}. */
export const sessionDefaults = { intraOpNumThreads: 0 } as const;

/** Creates an onnxruntime CPU session from model bytes; errors name `file`. */
export async function createSession(
  file: string,
  bytes: Uint8Array,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const threads = options.intraOpNumThreads ?? sessionDefaults.intraOpNumThreads;
  assertInteger("session.intraOpNumThreads", threads, 0);
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    });
  } catch (error) {
    throw new OnnxModelFileError(file, `onnxruntime cannot load it: ${(error as Error).message}`);
  }
}

/** A float32 onnxruntime tensor over `data` (no copy). */
export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

/** An int64 onnxruntime tensor from int values. */
export function int64Tensor(data: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]);
  return new ort.Tensor("int64", out, dims);
}
