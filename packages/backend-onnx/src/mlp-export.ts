import { assertInteger, assertOneOf, ConfigError, type Weights } from "@rlts/core";
import type { MlpArchitecture, MlpPolicyLike } from "@rlts/lm";
import { checkWeights } from "./gpt-export.js";
import { GraphBuilder, ONNX_OPSET } from "./onnx-graph.js";

/** Metadata key holding the JSON MLP architecture in exported files. */
export const MLP_CONFIG_KEY = "rlts.mlp.config";

/** The architecture of a live policy (a backend-tfjs `MlpPolicy`, or anything with its `options`). */
export function mlpArchitecture(policy: MlpPolicyLike): MlpArchitecture {
  const { obsDim, action, hidden, activation, valueHead, sharedTrunk } = policy.options;
  return { obsDim, action, hidden: [...hidden], activation, valueHead, sharedTrunk };
}

/** Validates an architecture (the rules of backend-tfjs `MlpPolicy`). */
export function checkMlpArchitecture(arch: MlpArchitecture): MlpArchitecture {
  if (arch == null || typeof arch !== "object") {
    throw new ConfigError(
      "policy",
      arch,
      "pass { obsDim, action, hidden, activation, valueHead, sharedTrunk }",
    );
  }
  assertInteger("policy.obsDim", arch.obsDim, 1);
  assertOneOf("policy.action.type", arch.action?.type, ["categorical", "gaussian"] as const);
  if (arch.action.type === "categorical") assertInteger("policy.action.n", arch.action.n, 2);
  else assertInteger("policy.action.dim", arch.action.dim, 1);
  if (!Array.isArray(arch.hidden))
    throw new ConfigError("policy.hidden", arch.hidden, "use an array of widths");
  arch.hidden.forEach((h, i) => {
    assertInteger(`policy.hidden[${i}]`, h, 1);
  });
  assertOneOf("policy.activation", arch.activation, ["tanh", "relu"] as const);
  return arch;
}

/** Names and shapes of the MLP weights (backend-tfjs README "MLP weights"). */
export function mlpWeightShapes(arch: MlpArchitecture): [string, number[]][] {
  const out: [string, number[]][] = [];
  const trunk = (prefix: string) => {
    let inDim = arch.obsDim;
    arch.hidden.forEach((h, i) => {
      out.push([`${prefix}.${i}.w`, [inDim, h]], [`${prefix}.${i}.b`, [h]]);
      inDim = h;
    });
  };
  const last = arch.hidden.length ? arch.hidden[arch.hidden.length - 1] : arch.obsDim;
  const outDim = arch.action.type === "categorical" ? arch.action.n : arch.action.dim;
  trunk(arch.sharedTrunk ? "trunk" : "pi");
  out.push(["pi.head.w", [last, outDim]], ["pi.head.b", [outDim]]);
  if (arch.action.type === "gaussian") out.push(["pi.logStd", [arch.action.dim]]);
  if (arch.valueHead) {
    if (!arch.sharedTrunk) trunk("vf");
    out.push(["vf.head.w", [last, 1]], ["vf.head.b", [1]]);
  }
  return out;
}

/**
 * Exports a backend-tfjs `MlpPolicy` architecture as an ONNX model (opset 17). Input `obs` float32
 * [batch, obsDim] plus every weight under its backend-tfjs name (stored as overridable initializers when
 * `weights` is given). Outputs: `logits` (categorical) or `mean` and `log_std` (Gaussian) [batch, n],
 * and `value` [batch] with a value head — what `headOutput`/`value` compute.
 */
export function exportMlpPolicy(
  arch: MlpArchitecture,
  options: { readonly weights?: Weights } = {},
): Uint8Array {
  checkMlpArchitecture(arch);
  const shapes = mlpWeightShapes(arch);
  const weights = options.weights ? checkWeights("weights", options.weights, shapes) : undefined;
  const g = new GraphBuilder("rlts_mlp_policy");
  const obs = g.input("obs", "float32", ["batch", arch.obsDim]);
  for (const [name, shape] of shapes) {
    g.input(name, "float32", shape);
    if (weights) g.initializer(name, weights.get(name)!);
  }
  const act = arch.activation === "tanh" ? "Tanh" : "Relu";
  const dense = (x: string, name: string) => g.op1("Add", [g.op1("MatMul", [x, `${name}.w`]), `${name}.b`]);
  const trunk = (prefix: string) =>
    arch.hidden.reduce((h, _, i) => g.op1(act, [dense(h, `${prefix}.${i}`)]), obs);
  const piTrunk = trunk(arch.sharedTrunk ? "trunk" : "pi");
  const head = dense(piTrunk, "pi.head");
  const n = arch.action.type === "categorical" ? arch.action.n : arch.action.dim;
  if (arch.action.type === "categorical") g.output(head, "logits", "float32", ["batch", n]);
  else {
    g.output(head, "mean", "float32", ["batch", n]);
    g.output("pi.logStd", "log_std", "float32", [n]);
  }
  if (arch.valueHead) {
    const vfTrunk = arch.sharedTrunk ? piTrunk : trunk("vf");
    const value = g.op1("Squeeze", [dense(vfTrunk, "vf.head"), g.constant([1], "int64")]);
    g.output(value, "value", "float32", ["batch"]);
  }
  return g.toBytes({
    opset: ONNX_OPSET,
    metadata: { [MLP_CONFIG_KEY]: JSON.stringify(arch) },
    docString: "MLP policy exported from @rlts/backend-tfjs weights",
  });
}
