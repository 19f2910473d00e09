import type { MlpArchitecture } from "@rlts/lm";
import { checkMlpArchitecture, MLP_CONFIG_KEY, mlpWeightShapes } from "./mlp-export.js";
import { type Dim, GraphBuilder, ONNX_OPSET } from "./onnx-graph.js";

// The forward and backward passes of a backend-tfjs MLP actor(-critic) as two ONNX graphs, for
// training on onnxruntime (which has no autodiff). The forward computes what backend-tfjs
// `MlpPolicy.evaluate` does — log π(a|s), the entropy and V(s) — and also returns what the backward
// needs (hidden activations, log-softmax or standardised actions); the backward takes those back with
// ∂L/∂log π, ∂L/∂H and ∂L/∂V of a loss and returns every weight's gradient. Each linear layer is
// y = x·W + b (W [in, out]) with dW = xᵀ·dy, db = Σ_rows dy, dx = dy·Wᵀ (Gemm with transA/transB, which
// MLAS runs without materialising a transpose).

/** ½·log(2π), the constant of the Gaussian log-density. */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** A trunk of the architecture: its weight prefix and its number of hidden layers. */
interface Trunk {
  readonly prefix: string;
  readonly layers: number;
}

/** Output names of {@link exportMlpTrainForward}'s graph. */
export interface MlpTrainForwardNames {
  /** Values the backward graph takes back, by name (also its input names), with their widths. */
  readonly saved: readonly { readonly name: string; readonly width: number }[];
}

function trunks(arch: MlpArchitecture): { policy: Trunk; value?: Trunk } {
  const layers = arch.hidden.length;
  const policy = { prefix: arch.sharedTrunk ? "trunk" : "pi", layers };
  if (!arch.valueHead) return { policy };
  return { policy, value: arch.sharedTrunk ? policy : { prefix: "vf", layers } };
}

/** The name of hidden activation `i` of a trunk (output of the forward graph, input of the backward). */
function hiddenName(prefix: string, i: number): string {
  return `${prefix}.h${i}`;
}

function headWidth(arch: MlpArchitecture): number {
  return arch.action.type === "categorical" ? arch.action.n : arch.action.dim;
}

/** What the forward graph hands to the backward one for `arch`. */
export function mlpTrainForwardNames(arch: MlpArchitecture): MlpTrainForwardNames {
  const { policy, value } = trunks(arch);
  const saved: { name: string; width: number }[] = [];
  for (const t of value && value !== policy ? [policy, value] : [policy]) {
    for (let i = 0; i < t.layers; i++) saved.push({ name: hiddenName(t.prefix, i), width: arch.hidden[i] });
  }
  // Categorical: log softmax of the logits (and the entropy output); Gaussian: z = (a − μ)/σ.
  if (arch.action.type === "categorical") saved.push({ name: "head.logp", width: arch.action.n });
  else saved.push({ name: "head.z", width: arch.action.dim });
  return { saved };
}

/**
 * The name of the per-row action input: `actions_onehot` [batch, n] (float one-hot rows) for a
 * categorical head, `actions` [batch, dim] for a Gaussian one.
 */
export function mlpActionInput(arch: MlpArchitecture): string {
  return arch.action.type === "categorical" ? "actions_onehot" : "actions";
}

function declareWeights(g: GraphBuilder, arch: MlpArchitecture, keep: (name: string) => boolean): void {
  for (const [name, shape] of mlpWeightShapes(arch)) if (keep(name)) g.input(name, "float32", shape);
}

/**
 * The forward pass for training. Inputs `obs` [batch, obsDim], the actions ({@link mlpActionInput})
 * and the weights (backend-tfjs names); outputs `logprob` [batch] = log π(a|s) and `entropy` [batch]
 * (categorical: log softmax picked by the one-hot row, H = −Σ p log p; Gaussian:
 * Σ_j −z_j²/2 − log σ_j − ½log 2π with z = (a − μ)/σ, H = Σ_j log σ_j + ½(1 + log 2π)), `value`
 * [batch] with a value head, and the values the backward needs ({@link mlpTrainForwardNames}).
 */
export function exportMlpTrainForward(arch: MlpArchitecture): Uint8Array {
  checkMlpArchitecture(arch);
  const g = new GraphBuilder("rlts_mlp_train_forward");
  const obs = g.input("obs", "float32", ["batch", arch.obsDim]);
  const n = headWidth(arch);
  const actions = g.input(mlpActionInput(arch), "float32", ["batch", n]);
  declareWeights(g, arch, () => true);
  const act = arch.activation === "tanh" ? "Tanh" : "Relu";
  const dense = (x: string, name: string) => g.op1("Gemm", [x, `${name}.w`, `${name}.b`]);
  const runTrunk = (t: Trunk): string => {
    let h = obs;
    for (let i = 0; i < t.layers; i++) {
      const out = hiddenName(t.prefix, i);
      h = g.exposeAs(g.op1(act, [dense(h, `${t.prefix}.${i}`)]), out, "float32", ["batch", arch.hidden[i]]);
    }
    return h;
  };
  const cols = g.constant([1], "int64");
  const { policy, value } = trunks(arch);
  const piTop = runTrunk(policy);
  const out = dense(piTop, "pi.head");
  if (arch.action.type === "categorical") {
    const logp = g.exposeAs(g.op1("LogSoftmax", [out], { axis: -1 }), "head.logp", "float32", ["batch", n]);
    // log π(a|s) = Σ_j onehot_j · log p_j ; H = −Σ_j p_j log p_j
    const logprob = g.op1("ReduceSum", [g.op1("Mul", [logp, actions]), cols], { keepdims: 0 });
    g.exposeAs(logprob, "logprob", "float32", ["batch"]);
    const plogp = g.op1("Mul", [g.op1("Exp", [logp]), logp]);
    g.exposeAs(g.op1("Neg", [g.op1("ReduceSum", [plogp, cols], { keepdims: 0 })]), "entropy", "float32", [
      "batch",
    ]);
  } else {
    // z = (a − μ)/σ ; log π = Σ_j −z_j²/2 − log σ_j − ½log 2π ; H = Σ_j log σ_j + ½(1 + log 2π)
    const zValue = g.op1("Div", [g.op1("Sub", [actions, out]), g.op1("Exp", ["pi.logStd"])]);
    const z = g.exposeAs(zValue, "head.z", "float32", ["batch", n]);
    const terms = g.op1("Sub", [
      g.op1("Mul", [g.op1("Mul", [z, z]), g.scalar(-0.5)]),
      g.op1("Add", ["pi.logStd", g.scalar(HALF_LOG_2PI)]),
    ]);
    const logprob = g.exposeAs(g.op1("ReduceSum", [terms, cols], { keepdims: 0 }), "logprob", "float32", [
      "batch",
    ]);
    const h = g.op1("ReduceSum", [g.op1("Add", ["pi.logStd", g.scalar(0.5 + HALF_LOG_2PI)])], {
      keepdims: 0,
    });
    g.exposeAs(g.op1("Expand", [h, g.op1("Shape", [logprob])]), "entropy", "float32", ["batch"]);
  }
  if (value) {
    const vfTop = value === policy ? piTop : runTrunk(value);
    const v = g.op1("Squeeze", [dense(vfTop, "vf.head"), cols]);
    g.exposeAs(v, "value", "float32", ["batch"]);
  }
  return g.toBytes({
    opset: ONNX_OPSET,
    metadata: { [MLP_CONFIG_KEY]: JSON.stringify(arch) },
    docString:
      "forward pass of an rlts MLP policy for training: log-probs, entropies, values, saved activations",
  });
}

/** The name under which the backward graph returns the gradient of weight `name`. */
export function gradientName(name: string): string {
  return `grad.${name}`;
}

/**
 * The backward pass: inputs `obs`, the one-hot actions (categorical heads), the weights, the saved values of the forward graph
 * (and its `entropy`), `d_logprob` = ∂L/∂log π and `d_entropy` = ∂L/∂H [batch] and, with a value head,
 * `d_value` = ∂L/∂V [batch]; outputs ∂L/∂W of every weight (named {@link gradientName}), in
 * `mlpWeightShapes` order. Categorical head: ∂log π/∂z = onehot − p, ∂H/∂z = −p ⊙ (log p + H).
 * Gaussian head: ∂log π/∂μ = z/σ, ∂log π/∂log σ = z² − 1, ∂H/∂log σ = 1. tanh′ = 1 − h², relu′ = [h > 0]
 * (the step at 0 is 0, as tfjs's).
 */
export function exportMlpBackward(arch: MlpArchitecture): Uint8Array {
  checkMlpArchitecture(arch);
  const names = mlpTrainForwardNames(arch);
  const g = new GraphBuilder("rlts_mlp_backward");
  const obs = g.input("obs", "float32", ["batch", arch.obsDim]);
  const n = headWidth(arch);
  const gaussian = arch.action.type === "gaussian";
  // The one-hot actions enter ∂log π/∂z; a Gaussian head's backward needs only the saved z.
  const actions = gaussian ? "" : g.input(mlpActionInput(arch), "float32", ["batch", n]);
  declareWeights(g, arch, (name) => name.endsWith(".w") || name === "pi.logStd");
  for (const s of names.saved) g.input(s.name, "float32", ["batch", s.width]);
  const rows = g.constant([0], "int64");
  const cols = g.constant([1], "int64");
  let oneValue: string | undefined;
  const one = () => {
    oneValue ??= g.scalar(1);
    return oneValue;
  };
  const column = (name: string) => g.op1("Unsqueeze", [g.input(name, "float32", ["batch"]), cols]);
  const dLogprob = column("d_logprob");
  const dEntropy = column("d_entropy");
  const grads = new Map<string, string>();
  let dOut: string;
  if (!gaussian) {
    const logp = "head.logp";
    const entropy = column("entropy");
    const p = g.op1("Exp", [logp]);
    // ∂L/∂z = dlogπ·(onehot − p) − dH·p ⊙ (log p + H)
    const fromLogprob = g.op1("Mul", [dLogprob, g.op1("Sub", [actions, p])]);
    const fromEntropy = g.op1("Mul", [g.op1("Mul", [dEntropy, p]), g.op1("Add", [logp, entropy])]);
    dOut = g.op1("Sub", [fromLogprob, fromEntropy]);
  } else {
    const z = "head.z";
    // ∂L/∂μ = dlogπ·z/σ ; ∂L/∂log σ = Σ_rows dlogπ·(z² − 1) + Σ_rows dH
    dOut = g.op1("Mul", [dLogprob, g.op1("Mul", [z, g.op1("Exp", [g.op1("Neg", ["pi.logStd"])])])]);
    const perDim = g.op1(
      "ReduceSum",
      [g.op1("Mul", [dLogprob, g.op1("Sub", [g.op1("Mul", [z, z]), one()])]), rows],
      {
        keepdims: 0,
      },
    );
    grads.set("pi.logStd", g.op1("Add", [perDim, g.op1("ReduceSum", [dEntropy], { keepdims: 0 })]));
  }
  /** dW = xᵀ·dy, db = Σ_rows dy; returns dx = dy·Wᵀ when asked. */
  const linearBack = (x: string, dy: string, name: string, wantDx: boolean): string | undefined => {
    grads.set(`${name}.w`, g.op1("Gemm", [x, dy], { transA: 1 }));
    grads.set(`${name}.b`, g.op1("ReduceSum", [dy, rows], { keepdims: 0 }));
    return wantDx ? g.op1("Gemm", [dy, `${name}.w`], { transB: 1 }) : undefined;
  };
  const { policy, value } = trunks(arch);
  const top = (t: Trunk) => (t.layers ? hiddenName(t.prefix, t.layers - 1) : obs);
  /** Back through a trunk from ∂L/∂(its top activation). */
  const trunkBack = (t: Trunk, dTop: string) => {
    let dh = dTop;
    for (let i = t.layers - 1; i >= 0; i--) {
      const h = hiddenName(t.prefix, i);
      // ∂L/∂a = ∂L/∂h ⊙ act′(a): tanh′ = 1 − h², relu′ = [h > 0]
      const slope =
        arch.activation === "tanh"
          ? g.op1("Sub", [one(), g.op1("Mul", [h, h])])
          : g.op1("Cast", [g.op1("Greater", [h, g.scalar(0)])], { to: 1 });
      const da = g.op1("Mul", [dh, slope]);
      const below = i > 0 ? hiddenName(t.prefix, i - 1) : obs;
      dh = linearBack(below, da, `${t.prefix}.${i}`, i > 0) as string;
    }
  };
  const dPiTop = linearBack(top(policy), dOut, "pi.head", policy.layers > 0);
  let dVfTop: string | undefined;
  if (value) dVfTop = linearBack(top(value), column("d_value"), "vf.head", value.layers > 0);
  if (value === policy && dPiTop && dVfTop) trunkBack(policy, g.op1("Add", [dPiTop, dVfTop]));
  else {
    if (dPiTop) trunkBack(policy, dPiTop);
    if (value && dVfTop) trunkBack(value, dVfTop);
  }
  for (const [name, shape] of mlpWeightShapes(arch)) {
    const grad = grads.get(name);
    if (grad) g.exposeAs(grad, gradientName(name), "float32", shape as Dim[]);
  }
  return g.toBytes({
    opset: ONNX_OPSET,
    metadata: { [MLP_CONFIG_KEY]: JSON.stringify(arch) },
    docString:
      "backward pass of an rlts MLP policy: weight gradients from the log-prob, entropy and value gradients",
  });
}
