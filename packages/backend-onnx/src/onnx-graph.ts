import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";

/** Element types the exporters use. */
export type ElemType = "float32" | "int64";

/** A dimension: a fixed size or a symbolic name (e.g. `"batch"`). */
export type Dim = number | string;

/** An attribute value of a node. */
export type AttrValue = number | string | readonly number[] | { readonly float: number };

/** The default (ai.onnx) opset version the exporters target: LayerNormalization needs 17. */
export const ONNX_OPSET = 17;
/** IR version matching opset 17 (ONNX versioning table: IR 8 ↔ opset 17–18). */
export const ONNX_IR_VERSION = 8;

const elemTypes: Record<ElemType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  int64: TensorProto_DataType.INT64,
};

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType: elemTypes[elem],
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value:
                  typeof d === "number"
                    ? { case: "dimValue", value: BigInt(d) }
                    : { case: "dimParam", value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

function attribute(name: string, value: AttrValue) {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
  }
  if (typeof value === "string") {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (Array.isArray(value)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: (value as number[]).map((v) => BigInt(v)),
    });
  }
  return create(AttributeProtoSchema, {
    name,
    type: AttributeProto_AttributeType.FLOAT,
    f: (value as { float: number }).float,
  });
}

/**
 * A small ONNX graph builder over the protobuf schema of the `onnx-buf` package (generated from the
 * official onnx.proto). Values are named by strings; {@link op} appends a node and returns the names
 * of its outputs, so graphs read like the maths they compute.
 */
export class GraphBuilder {
  private readonly nodes: ReturnType<typeof create<typeof NodeProtoSchema>>[] = [];
  private readonly inputs: ReturnType<typeof valueInfo>[] = [];
  private readonly outputs: ReturnType<typeof valueInfo>[] = [];
  private readonly initializers: ReturnType<typeof create<typeof TensorProtoSchema>>[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** Declares a graph input. */
  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** Declares a graph output produced under `name` (adds an Identity when the value has another name). */
  output(value: string, name: string, elem: ElemType, dims: readonly Dim[]): void {
    if (value !== name) this.nodes.push(this.node("Identity", [value], [name], {}));
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /**
   * Declares the node-computed `value` a graph output under `name` by renaming it everywhere (no
   * Identity node, so onnxruntime writes the output without an extra copy).
   */
  exposeAs(value: string, name: string, elem: ElemType, dims: readonly Dim[]): string {
    if (value !== name) {
      for (const node of this.nodes) {
        node.input = node.input.map((v) => (v === value ? name : v));
        node.output = node.output.map((v) => (v === value ? name : v));
      }
    }
    this.outputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** A constant tensor stored in the graph. */
  constant(values: readonly number[], elem: ElemType, dims: readonly number[] = [values.length]): string {
    const name = `const_${this.counter++}`;
    const rawData =
      elem === "int64"
        ? new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
        : new Uint8Array(Float32Array.from(values).buffer);
    this.initializers.push(
      create(TensorProtoSchema, {
        name,
        dataType: elemTypes[elem],
        dims: dims.map((d) => BigInt(d)),
        rawData,
      }),
    );
    return name;
  }

  /** Stores a float32 tensor under `name` (an initializer; with an input of the same name, a default). */
  initializer(
    name: string,
    tensor: { readonly shape: readonly number[]; readonly data: Float32Array },
  ): void {
    this.initializers.push(
      create(TensorProtoSchema, {
        name,
        dataType: elemTypes.float32,
        dims: tensor.shape.map((d) => BigInt(d)),
        rawData: new Uint8Array(Float32Array.from(tensor.data).buffer),
      }),
    );
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.constant([value], "float32", []);
  }

  /** Appends a node of `opType` and returns its output names (`outputs` of them). */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
  ): string[] {
    const names = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`);
    this.nodes.push(this.node(opType, inputs, names, attrs));
    return names;
  }

  /** {@link op} with one output. */
  op1(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(opType, inputs, attrs, 1)[0];
  }

  private node(
    opType: string,
    inputs: readonly string[],
    outputs: string[],
    attrs: Record<string, AttrValue>,
  ) {
    return create(NodeProtoSchema, {
      opType,
      name: `${opType}_${this.counter++}`,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
  }

  /** Serialises the model (ai.onnx opset `opset`, IR `irVersion`) with string metadata. */
  toBytes(
    options: {
      opset?: number;
      irVersion?: number;
      metadata?: Record<string, string>;
      docString?: string;
    } = {},
  ): Uint8Array {
    const model = create(ModelProtoSchema, {
      irVersion: BigInt(options.irVersion ?? ONNX_IR_VERSION),
      producerName: "@rlts/backend-onnx",
      producerVersion: "0",
      docString: options.docString ?? "",
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(options.opset ?? ONNX_OPSET) }),
      ],
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) =>
        create(StringStringEntryProtoSchema, { key, value }),
      ),
      graph: create(GraphProtoSchema, {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      }),
    });
    return toBinary(ModelProtoSchema, model);
  }
}
