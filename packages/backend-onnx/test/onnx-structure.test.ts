import { GptModel, MlpPolicy, selectEngine } from "@rlts/backend-tfjs";
import { describe, expect, it } from "vitest";
import {
  exportGpt,
  exportMlpBackward,
  exportMlpPolicy,
  exportMlpTrainForward,
  gradientName,
  mlpArchitecture,
  mlpWeightShapes,
} from "../src/index.js";

// A second reader of the exported files, independent of the writer's protobuf library: a protobuf
// wire-format walker written from the encoding spec, reading the ONNX fields by their numbers in
// onnx.proto (ModelProto: 1 ir_version, 7 graph, 8 opset_import, 14 metadata_props; GraphProto: 1 node,
// 5 initializer, 11 input, 12 output; NodeProto: 1 input, 2 output, 4 op_type, 7 domain; TensorProto:
// 1 dims, 2 data_type, 8 name, 9 raw_data; ValueInfoProto: 1 name, 2 type; TypeProto: 1 tensor_type;
// TypeProto.Tensor: 1 elem_type, 2 shape; TensorShapeProto: 1 dim; Dimension: 1 dim_value, 2 dim_param).
// It checks what an ONNX checker checks structurally: operators of opset 17, every node input defined
// before use, single assignment, every output produced, the weights declared with backend-tfjs's shapes.

await selectEngine({ prefer: "wasm", log: () => {} });

type Field = { n: number; wire: number; value: bigint | Uint8Array };

function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= bytes.length) throw new Error("truncated varint");
      const b = bytes[i++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < bytes.length) {
    const key = Number(varint());
    const n = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ n, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > bytes.length) throw new Error("truncated field");
      fields.push({ n, wire, value: bytes.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) {
      fields.push({ n, wire, value: bytes.subarray(i, i + 4) });
      i += 4;
    } else if (wire === 1) {
      fields.push({ n, wire, value: bytes.subarray(i, i + 8) });
      i += 8;
    } else throw new Error(`wire type ${wire}`);
  }
  return fields;
}

const all = (fields: Field[], n: number) => fields.filter((f) => f.n === n);
const bytesOf = (fields: Field[], n: number) => all(fields, n).map((f) => f.value as Uint8Array);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const strings = (fields: Field[], n: number) => bytesOf(fields, n).map(text);
const int = (fields: Field[], n: number) => Number((all(fields, n)[0]?.value as bigint | undefined) ?? 0n);

function valueInfo(b: Uint8Array): { name: string; elem: number; dims: (number | string)[] } {
  const f = readFields(b);
  const tensorType = readFields(readFields(bytesOf(f, 2)[0]).find((x) => x.n === 1)!.value as Uint8Array);
  const shape = readFields(bytesOf(tensorType, 2)[0]);
  const dims = bytesOf(shape, 1).map((d) => {
    const df = readFields(d);
    return df[0].n === 1 ? Number(df[0].value as bigint) : text(df[0].value as Uint8Array);
  });
  return { name: strings(f, 1)[0], elem: int(tensorType, 1), dims };
}

// ai.onnx operators whose opset-17 definitions the exporters rely on.
const opset17 = new Set([
  "Add",
  "Cast",
  "Concat",
  "Div",
  "Equal",
  "Exp",
  "Expand",
  "Gather",
  "Gemm",
  "Greater",
  "Identity",
  "LayerNormalization",
  "LogSoftmax",
  "MatMul",
  "Mul",
  "Neg",
  "ReduceSum",
  "Relu",
  "Reshape",
  "Shape",
  "Sigmoid",
  "Softmax",
  "Split",
  "Squeeze",
  "Sub",
  "Tanh",
  "Transpose",
  "Trilu",
  "Unsqueeze",
]);

function checkModel(bytes: Uint8Array) {
  const model = readFields(bytes);
  expect(int(model, 1), "ir_version").toBe(8);
  const opsets = bytesOf(model, 8).map(readFields);
  expect(opsets.map((o) => [strings(o, 1)[0] ?? "", int(o, 2)])).toEqual([["", 17]]);
  const metadata = Object.fromEntries(
    bytesOf(model, 14)
      .map(readFields)
      .map((e) => [strings(e, 1)[0], strings(e, 2)[0]]),
  );
  const graph = readFields(bytesOf(model, 7)[0]);
  const inputs = bytesOf(graph, 11).map(valueInfo);
  const outputs = bytesOf(graph, 12).map(valueInfo);
  const initializers = bytesOf(graph, 5).map(readFields);
  const defined = new Set<string>([
    ...inputs.map((x) => x.name),
    ...initializers.map((t) => strings(t, 8)[0]),
  ]);
  for (const t of initializers) {
    // raw_data holds dims-product elements of 4 (float) or 8 (int64) bytes.
    const dims = all(t, 1).map((d) => Number(d.value as bigint));
    const size = dims.reduce((a, b) => a * b, 1);
    const width = int(t, 2) === 7 ? 8 : 4;
    expect(bytesOf(t, 9)[0]?.length ?? 0, strings(t, 8)[0]).toBe(size * width);
  }
  const nodes = bytesOf(graph, 1).map(readFields);
  for (const node of nodes) {
    const op = strings(node, 4)[0];
    expect(opset17.has(op), `operator ${op}`).toBe(true);
    expect(strings(node, 7)[0] ?? "", `domain of ${op}`).toBe("");
    for (const input of strings(node, 1))
      expect(defined.has(input), `${op} reads ${input} before it is defined`).toBe(true);
    for (const output of strings(node, 2)) {
      expect(defined.has(output), `${output} assigned twice`).toBe(false);
      defined.add(output);
    }
  }
  for (const o of outputs) expect(defined.has(o.name), `output ${o.name}`).toBe(true);
  return {
    inputs,
    outputs,
    metadata,
    nodes: nodes.length,
    initializers: initializers.map((t) => strings(t, 8)[0]),
  };
}

describe("exported files, read by an independent wire-format reader", () => {
  it("GPT graphs (full and KV cache) are well-formed opset-17 models with backend-tfjs's weight shapes", () => {
    const model = new GptModel({
      vocabSize: 11,
      contextLength: 9,
      dModel: 8,
      nLayers: 2,
      nHeads: 2,
      seed: 1,
    });
    const weights = model.getWeights();
    for (const kvCache of [false, true]) {
      const { inputs, outputs, metadata } = checkModel(exportGpt(model.config, { kvCache }));
      const byName = new Map(inputs.map((x) => [x.name, x]));
      for (const [name, t] of weights) {
        expect(byName.get(name)?.dims, name).toEqual(t.shape);
        expect(byName.get(name)?.elem).toBe(1); // FLOAT
      }
      expect(byName.get("input_ids")).toEqual({ name: "input_ids", elem: 7, dims: ["batch", "seq"] });
      expect(outputs.find((o) => o.name === "logits")?.dims).toEqual(["batch", "seq", 11]);
      expect(JSON.parse(metadata["rlts.gpt.config"])).toEqual(model.config);
      const cacheInputs = inputs.filter((x) => x.name.startsWith("past_"));
      expect(cacheInputs.map((x) => x.name)).toEqual(
        kvCache ? ["past_key.0", "past_value.0", "past_key.1", "past_value.1"] : [],
      );
      if (kvCache) expect(cacheInputs[0].dims).toEqual(["batch", 2, "past", 4]);
      expect(outputs.map((o) => o.name).filter((n) => n.startsWith("new_")).length).toBe(kvCache ? 4 : 0);
    }
    // Stored weights become initializers of exactly the declared sizes.
    const stored = checkModel(exportGpt(model.config, { weights }));
    expect(new Set(stored.initializers.filter((n) => !n.startsWith("const_")))).toEqual(
      new Set(weights.keys()),
    );
    model.dispose();
  });

  it("MLP policy graphs are well-formed opset-17 models", () => {
    const policy = new MlpPolicy({ obsDim: 3, action: { type: "gaussian", dim: 2 }, hidden: [4], seed: 1 });
    const { inputs, outputs } = checkModel(
      exportMlpPolicy(mlpArchitecture(policy), { weights: policy.getWeights() }),
    );
    expect(inputs[0]).toEqual({ name: "obs", elem: 1, dims: ["batch", 3] });
    expect(outputs.map((o) => [o.name, o.dims])).toEqual([
      ["mean", ["batch", 2]],
      ["log_std", [2]],
      ["value", ["batch"]],
    ]);
    policy.dispose();
  });

  it("MLP training graphs are well-formed: the forward hands the backward what it declares, which returns every gradient", () => {
    for (const options of [
      {
        obsDim: 3,
        action: { type: "gaussian", dim: 2 },
        hidden: [4, 5],
        activation: "relu",
        sharedTrunk: true,
      },
      { obsDim: 4, action: { type: "categorical", n: 3 }, hidden: [6] },
    ] as const) {
      const policy = new MlpPolicy({ ...options, seed: 1 });
      const arch = mlpArchitecture(policy);
      const forward = checkModel(exportMlpTrainForward(arch));
      const backward = checkModel(exportMlpBackward(arch));
      const produced = new Set(forward.outputs.map((o) => o.name));
      expect([...produced].filter((n) => !n.includes(".")).sort()).toEqual(["entropy", "logprob", "value"]);
      // Every backward input is a forward input, a forward output or a gradient of a forward output.
      const forwardInputs = new Set(forward.inputs.map((i) => i.name));
      for (const input of backward.inputs) {
        const known =
          forwardInputs.has(input.name) || produced.has(input.name) || input.name.startsWith("d_");
        expect(known, input.name).toBe(true);
      }
      expect(backward.outputs.map((o) => [o.name, o.dims])).toEqual(
        mlpWeightShapes(arch).map(([name, shape]) => [gradientName(name), shape]),
      );
      policy.dispose();
    }
  });

  it("the reader rejects a truncated file (it is a real check)", () => {
    const model = new GptModel({ vocabSize: 5, contextLength: 4, dModel: 4, nLayers: 1, nHeads: 1 });
    const bytes = exportGpt(model.config);
    expect(() => checkModel(bytes.subarray(0, bytes.length - 7))).toThrow(/truncated/);
    model.dispose();
  });
});
