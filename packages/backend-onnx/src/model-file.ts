import { readFileSync, statSync } from "node:fs";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type NamedTensor, RltsError } from "@rlts/core";
import { GraphProtoSchema, type ModelProto, ModelProtoSchema, TensorProto_DataType } from "onnx-buf";

/** An ONNX model file is missing, unreadable, truncated, not ONNX, or of an unsupported opset. */
export class OnnxModelFileError extends RltsError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`ONNX model file ${JSON.stringify(file)}: ${reason}`);
  }
}

/** Opset range of {@link readOnnxModelFile}. */
export interface OpsetRange {
  /** Lowest ai.onnx opset accepted. Default 7 (the oldest onnxruntime runs). */
  readonly minOpset?: number;
  /** Highest ai.onnx opset accepted. Default 26 (the newest onnxruntime-node 1.30 loads). */
  readonly maxOpset?: number;
}

/** Defaults of {@link OpsetRange}. */
export const opsetRangeDefaults = { minOpset: 7, maxOpset: 26 } as const;

/** A decoded ONNX model and its bytes. */
export interface OnnxModelFile {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly model: ModelProto;
  /** The ai.onnx opset the model imports. */
  readonly opset: number;
  /** `metadata_props` as a plain object. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Decodes ONNX bytes and checks what onnxruntime would otherwise report vaguely: a graph is present,
 * the default (ai.onnx) opset is imported and within `range`. `file` names the source in errors.
 */
export function decodeOnnxModel(file: string, bytes: Uint8Array, range: OpsetRange = {}): OnnxModelFile {
  const minOpset = range.minOpset ?? opsetRangeDefaults.minOpset;
  const maxOpset = range.maxOpset ?? opsetRangeDefaults.maxOpset;
  if (bytes.length === 0) throw new OnnxModelFileError(file, "the file is empty (0 bytes)");
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    throw new OnnxModelFileError(
      file,
      `not a complete ONNX protobuf (${bytes.length} bytes; truncated or not an ONNX model: ${(error as Error).message})`,
    );
  }
  if (!model.graph || model.graph.node.length === 0 || model.irVersion === 0n) {
    throw new OnnxModelFileError(
      file,
      `no ONNX graph found in ${bytes.length} bytes (truncated, or not an ONNX model: ir_version ${model.irVersion}, ${model.graph?.node.length ?? 0} nodes)`,
    );
  }
  const entry = model.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx");
  if (!entry)
    throw new OnnxModelFileError(
      file,
      "it imports no ai.onnx opset (opset_import has no default domain; a truncated file can lose it)",
    );
  const opset = Number(entry.version);
  if (opset < minOpset || opset > maxOpset) {
    throw new OnnxModelFileError(
      file,
      `wrong opset: it imports ai.onnx opset ${opset}; this loader needs ${minOpset}–${maxOpset}. Re-export it with an opset in that range`,
    );
  }
  const metadata: Record<string, string> = {};
  for (const { key, value } of model.metadataProps) metadata[key] = value;
  return { file, bytes, model, opset, metadata };
}

/** Reads and checks an ONNX file: missing, unreadable, truncated and wrong-opset files throw {@link OnnxModelFileError}. */
export function readOnnxModelFile(file: string, range: OpsetRange = {}): OnnxModelFile {
  let bytes: Uint8Array;
  try {
    if (!statSync(file).isFile()) throw new OnnxModelFileError(file, "it is not a regular file");
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof OnnxModelFileError) throw error;
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new OnnxModelFileError(file, "no such file (check the path)");
    throw new OnnxModelFileError(file, `cannot be read (${(error as Error).message})`);
  }
  return decodeOnnxModel(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), range);
}

/**
 * Takes the stored values of the graph inputs `names` out of a model: returns them as weights and the
 * model bytes without those initializers. onnxruntime-node lists an initializer that is also a graph
 * input under neither `inputNames` nor the feeds it accepts, so a feed could not override it; as plain
 * inputs the weights are fed every run and weight sync replaces them.
 */
export function extractStoredWeights(
  file: OnnxModelFile,
  names: readonly string[],
): { readonly bytes: Uint8Array; readonly weights: Map<string, NamedTensor> } {
  const wanted = new Set(names);
  const graph = file.model.graph;
  const weights = new Map<string, NamedTensor>();
  if (!graph) return { bytes: file.bytes, weights };
  const kept = graph.initializer.filter((t) => {
    if (!wanted.has(t.name)) return true;
    if (t.dataType !== TensorProto_DataType.FLOAT) {
      throw new OnnxModelFileError(
        file.file,
        `stored weight "${t.name}" is not float32 (data type ${t.dataType})`,
      );
    }
    const shape = t.dims.map((d) => Number(d));
    const size = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (t.rawData.length > 0) {
      if (t.rawData.length !== size * 4) {
        throw new OnnxModelFileError(
          file.file,
          `stored weight "${t.name}" has ${t.rawData.length} bytes, expected ${size * 4}`,
        );
      }
      data = new Float32Array(new Uint8Array(t.rawData).buffer);
    } else {
      data = Float32Array.from(t.floatData);
      if (data.length !== size) {
        throw new OnnxModelFileError(
          file.file,
          `stored weight "${t.name}" has ${data.length} values, expected ${size}`,
        );
      }
    }
    weights.set(t.name, { shape, data });
    return false;
  });
  if (weights.size === 0) return { bytes: file.bytes, weights };
  const model = create(ModelProtoSchema, {
    ...file.model,
    graph: create(GraphProtoSchema, { ...graph, initializer: kept }),
  });
  return { bytes: toBinary(ModelProtoSchema, model), weights };
}
