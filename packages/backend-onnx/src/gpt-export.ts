import { ConfigError, type NamedTensor, ShapeError, type Weights } from "@rlts/core";
import { type FullGptConfig, type GptConfig, resolveGptConfig } from "@rlts/lm";
import { GraphBuilder, ONNX_OPSET } from "./onnx-graph.js";

/** Options of {@link exportGpt}. */
export interface GptExportOptions {
  /** Add past key/value inputs and new key/value outputs (the decode graph). Default false. */
  readonly kvCache?: boolean;
  /**
   * Store these weights in the file as initializers. They stay graph inputs too (ONNX's overridable
   * defaults; onnxruntime-node ignores feeds for them, so `OnnxGpt.fromFiles` lifts them out into feeds
   * and weight sync replaces them). Default: none (weights are required inputs).
   */
  readonly weights?: Weights;
}

/** Defaults of {@link GptExportOptions}. */
export const gptExportDefaults = { kvCache: false } as const;

/** Metadata key holding the JSON GPT config in exported files. */
export const GPT_CONFIG_KEY = "rlts.gpt.config";
/** Metadata key saying whether the file is the KV-cache (decode) graph. */
export const GPT_KV_CACHE_KEY = "rlts.gpt.kvCache";

/** LayerNorm epsilon of backend-tfjs (`layerNorm`, PyTorch default). */
const LN_EPS = 1e-5;
/** Additive bias of masked attention scores, as backend-tfjs (−1e9 before the softmax). */
const MASK_VALUE = 1e9;

/** Names and shapes of the GPT weights, in backend-tfjs `parameterNames` order (README "GPT weights"). */
export function gptWeightShapes(config: FullGptConfig): [string, number[]][] {
  const { vocabSize: V, contextLength: C, dModel: d, dFF: F } = config;
  const out: [string, number[]][] = [
    ["wte", [V, d]],
    ["wpe", [C, d]],
  ];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `blocks.${l}`;
    out.push(
      [`${p}.ln1.gamma`, [d]],
      [`${p}.ln1.beta`, [d]],
      [`${p}.attn.wqkv`, [d, 3 * d]],
      [`${p}.attn.bqkv`, [3 * d]],
      [`${p}.attn.wo`, [d, d]],
      [`${p}.attn.bo`, [d]],
      [`${p}.ln2.gamma`, [d]],
      [`${p}.ln2.beta`, [d]],
      [`${p}.mlp.w1`, [d, F]],
      [`${p}.mlp.b1`, [F]],
      [`${p}.mlp.w2`, [F, d]],
      [`${p}.mlp.b2`, [d]],
    );
  }
  out.push(["lnf.gamma", [d]], ["lnf.beta", [d]]);
  if (!config.tieEmbeddings) out.push(["head.w", [d, V]]);
  return out;
}

/**
 * Checks that `weights` holds every named tensor of `expected` with its exact shape and finite-length
 * data; throws a `ShapeError`/`ConfigError` naming the tensor otherwise.
 */
export function checkWeights(
  field: string,
  weights: Weights,
  expected: readonly (readonly [string, readonly number[]])[],
): Map<string, NamedTensor> {
  if (!(weights instanceof Map)) {
    throw new ConfigError(field, weights, "pass a Map of name → { shape, data } (model.getWeights())");
  }
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) throw new ConfigError(`${field}.${name}`, undefined, "every weight of the model is required");
    const size = shape.reduce((a, b) => a * b, 1);
    if (
      !(t.data instanceof Float32Array) ||
      t.shape.length !== shape.length ||
      t.shape.some((s: number, i: number) => s !== shape[i]) ||
      t.data.length !== size
    ) {
      throw new ShapeError(
        `${field}.${name}`,
        `shape [${shape.join(", ")}] with ${size} float32 values`,
        `[${t.shape?.join(", ")}] with ${t.data?.length} values`,
      );
    }
    out.set(name, t);
  }
  return out;
}

/**
 * Exports a backend-tfjs GPT (`GptModel`, README "GPT weights") as an ONNX model (opset 17), computing
 * exactly what `GptModel.forward` computes.
 *
 * Inputs: `input_ids` int64 [batch, seq], `position_ids` int64 [batch, seq] (row of `wpe` per token),
 * `attention_mask` int64 [batch, total] (1 = attend, 0 = padding; total = past + seq), every weight
 * under its backend-tfjs name, and with `kvCache` `past_key.{l}` / `past_value.{l}` float32
 * [batch, nHeads, past, dModel/nHeads] (past may be 0). Outputs: `logits` float32 [batch, seq, vocab]
 * and with `kvCache` `new_key.{l}` / `new_value.{l}` [batch, nHeads, seq, dModel/nHeads]: the keys and
 * values of this call's tokens, which the caller writes into its cache (the past of the next call).
 * Query i (absolute column past + i) attends to columns j ≤ past + i whose mask is 1.
 */
export function exportGpt(config: GptConfig, options: GptExportOptions = {}): Uint8Array {
  const cfg = resolveGptConfig(config);
  const kvCache = options.kvCache ?? gptExportDefaults.kvCache;
  const shapes = gptWeightShapes(cfg);
  const weights = options.weights ? checkWeights("weights", options.weights, shapes) : undefined;
  const { vocabSize: V, dModel: d, nHeads: H, nLayers: L } = cfg;
  const dh = d / H;
  const g = new GraphBuilder(kvCache ? "rlts_gpt_decode" : "rlts_gpt");
  const ids = g.input("input_ids", "int64", ["batch", "seq"]);
  const pos = g.input("position_ids", "int64", ["batch", "seq"]);
  const mask = g.input("attention_mask", "int64", ["batch", "total"]);
  for (const [name, shape] of shapes) {
    g.input(name, "float32", shape);
    if (weights) g.initializer(name, weights.get(name)!);
  }
  const w = (name: string) => name;

  // Additive attention bias [batch, 1, seq, total]: 0 where allowed, −1e9 where masked.
  const T = g.op1("Shape", [ids], { start: 1, end: 2 });
  const S = g.op1("Shape", [mask], { start: 1, end: 2 });
  const past = g.op1("Sub", [S, T]);
  const P = g.op1("Squeeze", [past]);
  const pastAndSeq = kvCache ? g.op1("Concat", [past, T], { axis: 0 }) : "";
  const ones = g.op1("Expand", [g.scalar(1), g.op1("Concat", [T, S], { axis: 0 })]);
  // Lower triangle with offset past: query i may see key j ≤ past + i (causal mask).
  const allowed = g.op1("Trilu", [ones, P], { upper: 0 });
  const causalBias = g.op1("Mul", [g.op1("Sub", [allowed, g.scalar(1)]), g.scalar(MASK_VALUE)]);
  const keep = g.op1("Cast", [mask], { to: 1 });
  const keyBias = g.op1("Unsqueeze", [
    g.op1("Mul", [g.op1("Sub", [keep, g.scalar(1)]), g.scalar(MASK_VALUE)]),
    g.constant([1, 2], "int64"),
  ]);
  const bias = g.op1("Add", [keyBias, causalBias]);

  // x = wte[ids] + wpe[pos]
  let x = g.op1("Add", [
    g.op1("Gather", [w("wte"), ids], { axis: 0 }),
    g.op1("Gather", [w("wpe"), pos], { axis: 0 }),
  ]);
  const scale = g.scalar(1 / Math.sqrt(dh));
  const headsShape = g.constant([0, 0, 3 * H, dh], "int64");
  const mergeShape = g.constant([0, 0, d], "int64");
  const splitSizes = g.constant([H, H, H], "int64");
  const twoU = {
    a: g.scalar(2 * Math.sqrt(2 / Math.PI) * 0.044715),
    b: g.scalar(2 * Math.sqrt(2 / Math.PI)),
  };
  const layerNorm = (input: string, prefix: string) =>
    g.op1("LayerNormalization", [input, w(`${prefix}.gamma`), w(`${prefix}.beta`)], {
      axis: -1,
      epsilon: { float: LN_EPS },
    });
  const linear = (input: string, weight: string, b: string) =>
    g.op1("Add", [g.op1("MatMul", [input, w(weight)]), w(b)]);
  for (let l = 0; l < L; l++) {
    const p = `blocks.${l}`;
    const h = layerNorm(x, `${p}.ln1`);
    const qkv = linear(h, `${p}.attn.wqkv`, `${p}.attn.bqkv`);
    // [B, T, 3d] → [B, T, 3H, dh] → [B, 3H, T, dh]; columns are [q | k | v], each split into H heads.
    const heads = g.op1("Transpose", [g.op1("Reshape", [qkv, headsShape])], { perm: [0, 2, 1, 3] });
    const [q0, k, v] = g.op("Split", [heads, splitSizes], { axis: 1 }, 3);
    const q = g.op1("Mul", [q0, scale]);
    const kT = (keys: string) => g.op1("Transpose", [keys], { perm: [0, 1, 3, 2] });
    let y: string;
    if (kvCache) {
      // Scores against the cached keys and the new keys side by side ([past | seq] columns, the order of
      // attention_mask), one softmax over both, then att·v summed over the two parts: the same maths as
      // attending to concat(past, new) without copying the cache inside the graph.
      const pastK = g.input(`past_key.${l}`, "float32", ["batch", H, "past", dh]);
      const pastV = g.input(`past_value.${l}`, "float32", ["batch", H, "past", dh]);
      g.output(k, `new_key.${l}`, "float32", ["batch", H, "seq", dh]);
      g.output(v, `new_value.${l}`, "float32", ["batch", H, "seq", dh]);
      const scores = g.op1("Add", [
        g.op1("Concat", [g.op1("MatMul", [q, kT(pastK)]), g.op1("MatMul", [q, kT(k)])], { axis: -1 }),
        bias,
      ]);
      // Scaled dot-product attention (Vaswani et al. 2017 eq. 1), as backend-tfjs: softmax(q/√dh·kᵀ + mask)·v.
      const att = g.op1("Softmax", [scores], { axis: -1 });
      const [attPast, attNew] = g.op("Split", [att, pastAndSeq], { axis: -1 }, 2);
      y = g.op1("Add", [g.op1("MatMul", [attPast, pastV]), g.op1("MatMul", [attNew, v])]);
    } else {
      // Scaled dot-product attention (Vaswani et al. 2017 eq. 1), as backend-tfjs: softmax(q/√dh·kᵀ + mask)·v.
      const att = g.op1("Softmax", [g.op1("Add", [g.op1("MatMul", [q, kT(k)]), bias])], { axis: -1 });
      y = g.op1("MatMul", [att, v]);
    }
    y = g.op1("Reshape", [g.op1("Transpose", [y], { perm: [0, 2, 1, 3] }), mergeShape]);
    x = g.op1("Add", [x, linear(y, `${p}.attn.wo`, `${p}.attn.bo`)]);
    const h2 = layerNorm(x, `${p}.ln2`);
    const a = linear(h2, `${p}.mlp.w1`, `${p}.mlp.b1`);
    // GELU, tanh form written as a·σ(2u), 2u = 2√(2/π)(a + 0.044715a³) (Hendrycks & Gimpel 2016 §2; backend-tfjs `gelu`).
    const u2 = g.op1("Mul", [a, g.op1("Add", [g.op1("Mul", [g.op1("Mul", [a, a]), twoU.a]), twoU.b])]);
    const f = g.op1("Mul", [a, g.op1("Sigmoid", [u2])]);
    x = g.op1("Add", [x, linear(f, `${p}.mlp.w2`, `${p}.mlp.b2`)]);
  }
  const hf = layerNorm(x, "lnf");
  const headW = cfg.tieEmbeddings ? g.op1("Transpose", [w("wte")], { perm: [1, 0] }) : w("head.w");
  const logits = g.op1("MatMul", [hf, headW]);
  g.output(logits, "logits", "float32", ["batch", "seq", V]);
  return g.toBytes({
    opset: ONNX_OPSET,
    metadata: { [GPT_CONFIG_KEY]: JSON.stringify(cfg), [GPT_KV_CACHE_KEY]: String(kvCache) },
    docString: "GPT language model exported from @rlts/backend-tfjs weights",
  });
}
