import {
  assertInRange,
  assertInteger,
  assertOneOf,
  ConfigError,
  createRng,
  type Rng,
  ShapeError,
} from "@rlts/core";
import { type ActionHead, sampleActions } from "@rlts/lm";
import * as tf from "@tensorflow/tfjs-core";
import type { AdamWOptions } from "./adamw.js";
import { orthogonalInit } from "./init.js";
import { logSoftmax, tidyValue } from "./ops.js";
import { flattenGradients } from "./parameters.js";
import { stripUndefined } from "./schedule.js";
import { TrainableModel } from "./trainable.js";

/** Options of {@link MlpPolicy}. */
export interface MlpPolicyOptions {
  /** Length of one observation vector. */
  readonly obsDim: number;
  /** Categorical over `n` actions or a diagonal Gaussian over `dim` dimensions. */
  readonly action: ActionHead;
  /** Hidden layer widths of each trunk. Default [64, 64] (CleanRL). */
  readonly hidden?: readonly number[];
  /** Hidden activation. Default "tanh" (CleanRL). */
  readonly activation?: "tanh" | "relu";
  /** Add a value head V(s). Default true. */
  readonly valueHead?: boolean;
  /** One trunk feeds both heads (true) or the value head has its own (false, CleanRL). Default false. */
  readonly sharedTrunk?: boolean;
  /** Seed of the orthogonal init. Default 0. */
  readonly seed?: number;
  /** AdamW and learning-rate schedule. */
  readonly optimizer?: AdamWOptions;
}

/** Defaults of {@link MlpPolicyOptions}. */
export const mlpPolicyDefaults = {
  hidden: [64, 64] as readonly number[],
  activation: "tanh" as "tanh" | "relu",
  valueHead: true,
  sharedTrunk: false,
  seed: 0,
} as const;

/** Observations: one flat row-major Float32Array [B·obsDim], an array of rows, or a [B, obsDim] tensor. */
export type ObservationBatch = Float32Array | readonly ArrayLike<number>[] | tf.Tensor2D;
/** Actions: int ids for a categorical head, flat [B·dim] floats for a Gaussian head, or a tensor. */
export type ActionBatch = Int32Array | Float32Array | readonly number[] | tf.Tensor;

/** What {@link MlpPolicy.act} returns. */
export interface ActResult {
  /** Chosen actions: Int32Array [B] (categorical) or Float32Array [B·dim] (Gaussian, row-major). */
  readonly actions: Int32Array | Float32Array;
  /** log π(a|s) of each chosen action. */
  readonly logprobs: Float64Array;
  /** V(s), when the policy has a value head. */
  readonly values?: Float64Array;
}

/** What {@link MlpPolicy.evaluate} returns: [B] tensors, differentiable inside a loss closure. */
export interface EvaluateResult {
  readonly logprob: tf.Tensor1D;
  readonly entropy: tf.Tensor1D;
  readonly value?: tf.Tensor1D;
}

// ½·log(2π), the constant of the Gaussian log-density.
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * An MLP actor(-critic) on tfjs variables, as in CleanRL `ppo.py` / `ppo_continuous_action.py`:
 * tanh trunks with orthogonal init (gain √2, policy head 0.01, value head 1, biases 0), a categorical
 * or a diagonal-Gaussian head with a state-independent log σ, and an optional value head, on a shared
 * or separate trunk. Weight names are in the README ("MLP weights").
 */
export class MlpPolicy extends TrainableModel {
  /** Options with defaults filled in. */
  readonly options: Required<Omit<MlpPolicyOptions, "optimizer">>;
  /** Names of the parameters of π (trunk, head, log σ), in flat-vector order: what TRPO updates. */
  readonly policyParameterNames: readonly string[];
  /** Names of the parameters only V uses (empty without a value head). */
  readonly valueParameterNames: readonly string[];
  private readonly piLayers: string[];
  private readonly vfLayers: string[];

  constructor(options: MlpPolicyOptions) {
    super(options.optimizer);
    const o = { ...mlpPolicyDefaults, ...stripUndefined(options) };
    assertInteger("policy.obsDim", o.obsDim, 1);
    if (!o.action || typeof o.action !== "object") {
      throw new ConfigError(
        "policy.action",
        o.action,
        'use { type: "categorical", n } or { type: "gaussian", dim }',
      );
    }
    assertOneOf("policy.action.type", o.action.type, ["categorical", "gaussian"] as const);
    if (o.action.type === "categorical") assertInteger("policy.action.n", o.action.n, 2);
    else {
      assertInteger("policy.action.dim", o.action.dim, 1);
      assertInRange("policy.action.initLogStd", o.action.initLogStd ?? 0, -20, 5);
    }
    if (!Array.isArray(o.hidden))
      throw new ConfigError("policy.hidden", o.hidden, "use an array of layer widths, e.g. [64, 64]");
    o.hidden.forEach((h, i) => {
      assertInteger(`policy.hidden[${i}]`, h, 1);
    });
    assertOneOf("policy.activation", o.activation, ["tanh", "relu"] as const);
    this.options = {
      obsDim: o.obsDim,
      action: o.action,
      hidden: [...o.hidden],
      activation: o.activation,
      valueHead: o.valueHead,
      sharedTrunk: o.sharedTrunk,
      seed: o.seed,
    };
    const rng = createRng(o.seed);
    const outDim = o.action.type === "categorical" ? o.action.n : o.action.dim;
    const addLinear = (name: string, inDim: number, out: number, gain: number) => {
      this.params.add(`${name}.w`, [inDim, out], orthogonalInit(rng, inDim, out, gain));
      this.params.add(`${name}.b`, [out], new Float32Array(out));
    };
    const addTrunk = (prefix: string): string[] => {
      const names: string[] = [];
      let inDim = o.obsDim;
      o.hidden.forEach((h, i) => {
        addLinear(`${prefix}.${i}`, inDim, h, Math.SQRT2);
        names.push(`${prefix}.${i}`);
        inDim = h;
      });
      return names;
    };
    const last = o.hidden.length ? o.hidden[o.hidden.length - 1] : o.obsDim;
    this.piLayers = addTrunk(o.sharedTrunk ? "trunk" : "pi");
    addLinear("pi.head", last, outDim, 0.01);
    if (o.action.type === "gaussian") {
      this.params.add(
        "pi.logStd",
        [o.action.dim],
        new Float32Array(o.action.dim).fill(o.action.initLogStd ?? 0),
      );
    }
    this.vfLayers = [];
    if (o.valueHead) {
      this.vfLayers = o.sharedTrunk ? this.piLayers : addTrunk("vf");
      addLinear("vf.head", last, 1, 1);
    }
    const all = this.params.names;
    const valueOnly = (n: string) => n.startsWith("vf.");
    this.policyParameterNames = all.filter((n) => !valueOnly(n));
    this.valueParameterNames = all.filter(valueOnly);
    this.initOptimizer();
  }

  /** Observations as a [B, obsDim] tensor (validated). Call inside tf.tidy or a loss closure. */
  observations(obs: ObservationBatch): tf.Tensor2D {
    const d = this.options.obsDim;
    if (obs instanceof tf.Tensor) {
      if (obs.rank !== 2 || obs.shape[1] !== d)
        throw new ShapeError("obs", `[B, ${d}]`, `[${obs.shape.join(", ")}]`);
      return obs;
    }
    if (obs instanceof Float32Array) {
      if (obs.length === 0 || obs.length % d !== 0)
        throw new ShapeError("obs", `a multiple of obsDim = ${d} values`, `${obs.length}`);
      return tf.tensor2d(obs, [obs.length / d, d]);
    }
    const flat = new Float32Array(obs.length * d);
    obs.forEach((row, i) => {
      if (row.length !== d) throw new ShapeError(`obs[${i}]`, `${d} values`, `${row.length}`);
      for (let j = 0; j < d; j++) {
        if (!Number.isFinite(row[j]))
          throw new ConfigError(`obs[${i}][${j}]`, row[j], "observations must be finite numbers");
        flat[i * d + j] = row[j];
      }
    });
    return tf.tensor2d(flat, [obs.length, d]);
  }

  private trunk(x: tf.Tensor2D, layers: readonly string[]): tf.Tensor2D {
    let h = x;
    for (const name of layers) {
      const a = tf.add(
        tf.matMul(h, this.params.get(`${name}.w`)),
        this.params.get(`${name}.b`),
      ) as tf.Tensor2D;
      h = this.options.activation === "tanh" ? tf.tanh(a) : tf.relu(a);
    }
    return h;
  }

  /**
   * The head's raw output [B, n] for observations: categorical logits, or the Gaussian mean μ(s).
   * Built from plain ops (no custom gradients), so higher-order gradients stay available.
   */
  headOutput(obs: ObservationBatch): tf.Tensor2D {
    const h = this.trunk(this.observations(obs), this.piLayers);
    return tf.add(tf.matMul(h, this.params.get("pi.head.w")), this.params.get("pi.head.b")) as tf.Tensor2D;
  }

  /** V(s) as a [B] tensor. Throws without a value head. */
  value(obs: ObservationBatch): tf.Tensor1D {
    if (!this.options.valueHead)
      throw new ConfigError("policy.valueHead", false, "enable valueHead to read values");
    const h = this.trunk(this.observations(obs), this.vfLayers);
    return tf.squeeze(
      tf.add(tf.matMul(h, this.params.get("vf.head.w")), this.params.get("vf.head.b")),
      [1],
    ) as tf.Tensor1D;
  }

  /**
   * log π(a|s), entropy H[π(·|s)] and (with a value head) V(s) as [B] tensors. Call inside a loss
   * closure: they are differentiable. Categorical: log softmax picked by a one-hot mask; Gaussian:
   * Σ_j −(a_j − μ_j)²/(2σ_j²) − log σ_j − ½log 2π and H = Σ_j log σ_j + ½(1 + log 2π).
   */
  evaluate(obs: ObservationBatch, actions: ActionBatch): EvaluateResult {
    const x = this.observations(obs);
    const B = x.shape[0];
    const out = this.headOutput(x);
    const value = this.options.valueHead ? this.value(x) : undefined;
    const head = this.options.action;
    if (head.type === "categorical") {
      const a = this.actionTensor(actions, B) as tf.Tensor1D;
      const logp = logSoftmax(out);
      const logprob = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(a, head.n), "float32")), -1) as tf.Tensor1D;
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as tf.Tensor1D;
      return { logprob, entropy, value };
    }
    const a = this.actionTensor(actions, B) as tf.Tensor2D;
    const logStd = this.params.get("pi.logStd");
    const z = tf.div(tf.sub(a, out), tf.exp(logStd));
    const logprob = tf.sum(
      tf.sub(tf.mul(tf.square(z), -0.5), tf.add(logStd, HALF_LOG_2PI)),
      -1,
    ) as tf.Tensor1D;
    const entropy = tf.mul(tf.ones([B]), tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI))) as tf.Tensor1D;
    return { logprob, entropy, value };
  }

  private actionTensor(actions: ActionBatch, B: number): tf.Tensor {
    const head = this.options.action;
    if (actions instanceof tf.Tensor) return actions;
    if (head.type === "categorical") {
      if (actions.length !== B) throw new ShapeError("actions", `${B} action ids`, `${actions.length}`);
      for (let i = 0; i < B; i++) {
        const a = actions[i];
        if (!Number.isInteger(a) || a < 0 || a >= head.n)
          throw new ConfigError(`actions[${i}]`, a, `use ids in [0, ${head.n - 1}]`);
      }
      return tf.tensor1d(Int32Array.from(actions as ArrayLike<number>), "int32");
    }
    if (actions.length !== B * head.dim)
      throw new ShapeError("actions", `${B * head.dim} values (B·dim)`, `${actions.length}`);
    return tf.tensor2d(Float32Array.from(actions as ArrayLike<number>), [B, head.dim]);
  }

  /**
   * Chooses actions for a batch of observations: samples from π(·|s) with `rng` (inverse CDF for
   * categorical, μ + σ·rng.normal() for Gaussian, draws in row-major order), or the mode when
   * `greedy`. Returns log π of the chosen actions and V(s).
   */
  act(obs: ObservationBatch, rng: Rng, options: { readonly greedy?: boolean } = {}): ActResult {
    this.assertLive();
    let out: number[][] = [];
    let values: Float64Array | undefined;
    tf.tidy(() => {
      const x = this.observations(obs);
      out = this.headOutput(x).arraySync() as number[][];
      values = this.options.valueHead ? Float64Array.from(this.value(x).dataSync()) : undefined;
    });
    const head = this.options.action;
    const logStd = head.type === "gaussian" ? this.params.get("pi.logStd").dataSync() : undefined;
    const { actions, logprobs } = sampleActions(head, out.flat(), logStd, rng, options.greedy);
    return { actions, logprobs, values };
  }

  /**
   * Fisher-vector product F·v of the mean KL(π_old‖π_θ) over `obs` with respect to the policy
   * parameters (flattened in {@link policyParameterNames} order), at the current parameters θ = θ_old,
   * plus `damping`·v (TRPO paper App. C; Spinning Up / sb3-contrib use damping 0.1).
   *
   * Exact, computed in Gauss–Newton form F = (1/B) Σ_s J_sᵀ M_s J_s, which equals the Hessian of the
   * mean KL at θ_old (Martens 2014 §9): J_s·v by forward-mode differentiation through the MLP, M the
   * Fisher of the head's output (categorical logits: diag(p) − ppᵀ; Gaussian: 1/σ² for μ, 2 for log σ),
   * and Jᵀ(·) by one backward pass.
   */
  fisherVectorProduct(
    obs: ObservationBatch,
    v: ArrayLike<number>,
    options: { readonly damping?: number } = {},
  ): Float64Array {
    this.assertLive();
    const damping = options.damping ?? 0;
    assertInRange("fisherVectorProduct.damping", damping, 0, 1e6);
    const names = this.policyParameterNames;
    const total = this.params.size(names);
    if (v.length !== total) throw new ShapeError("v", `${total} values (policy parameters)`, `${v.length}`);
    const result = tidyValue(() => {
      const x = this.observations(obs);
      const B = x.shape[0];
      // Split v into one tangent tensor per parameter.
      const tangent = new Map<string, tf.Tensor>();
      let offset = 0;
      for (const name of names) {
        const p = this.params.get(name);
        tangent.set(
          name,
          tf.tensor(
            Float32Array.from({ length: p.size }, (_, i) => v[offset + i]),
            p.shape,
            "float32",
          ),
        );
        offset += p.size;
      }
      // Forward mode: (h, dh) through the trunk and head.
      let h: tf.Tensor2D = x;
      let dh: tf.Tensor2D = tf.zerosLike(x);
      for (const layer of this.piLayers) {
        const w = this.params.get(`${layer}.w`);
        const a = tf.add(tf.matMul(h, w), this.params.get(`${layer}.b`));
        // da = dh·W + h·dW + db
        const da = tf.add(
          tf.add(tf.matMul(dh, w), tf.matMul(h, tangent.get(`${layer}.w`)! as tf.Tensor2D)),
          tangent.get(`${layer}.b`)!,
        );
        if (this.options.activation === "tanh") {
          h = tf.tanh(a) as tf.Tensor2D;
          dh = tf.mul(da, tf.sub(1, tf.square(h))) as tf.Tensor2D;
        } else {
          h = tf.relu(a) as tf.Tensor2D;
          dh = tf.mul(da, tf.step(a)) as tf.Tensor2D;
        }
      }
      const headW = this.params.get("pi.head.w");
      const out = tf.add(tf.matMul(h, headW), this.params.get("pi.head.b"));
      const jv = tf.add(
        tf.add(tf.matMul(dh, headW), tf.matMul(h, tangent.get("pi.head.w")! as tf.Tensor2D)),
        tangent.get("pi.head.b")!,
      );
      // M·(Jv), divided by B for the mean over states.
      let mjv: tf.Tensor;
      let mLogStd: tf.Tensor | undefined;
      if (this.options.action.type === "categorical") {
        const p = tf.softmax(out);
        // (diag(p) − ppᵀ)·u = p ⊙ u − p·(pᵀu)
        mjv = tf.sub(tf.mul(p, jv), tf.mul(p, tf.sum(tf.mul(p, jv), -1, true)));
      } else {
        const logStd = this.params.get("pi.logStd");
        // Gaussian Fisher: μ-block 1/σ², log σ-block 2 (its tangent is the same for every state).
        mjv = tf.div(jv, tf.exp(tf.mul(logStd, 2)));
        mLogStd = tf.mul(tangent.get("pi.logStd")!, 2);
      }
      const mjvConst = tf.div(mjv, B);
      const vars = this.params.list(names);
      const { grads } = tf.variableGrads(() => {
        const o = this.headOutput(x);
        let s = tf.sum(tf.mul(o, mjvConst));
        if (mLogStd) s = tf.add(s, tf.sum(tf.mul(this.params.get("pi.logStd"), mLogStd)));
        return s as tf.Scalar;
      }, vars);
      return flattenGradients(vars.map((vv) => grads[vv.name] ?? tf.zerosLike(vv)));
    });
    if (damping > 0) for (let i = 0; i < total; i++) result[i] += damping * v[i];
    return result;
  }

  /**
   * The policy's action distributions at `obs` as they are now (head outputs and, for a Gaussian head,
   * log σ), kept until `dispose()`: π_old for {@link meanKl} after the parameters move (TRPO).
   */
  distributionSnapshot(obs: ObservationBatch): DistributionSnapshot {
    const out = tf.keep(tf.tidy(() => this.headOutput(obs)));
    const logStd =
      this.options.action.type === "gaussian"
        ? (tf.keep(tf.clone(this.params.get("pi.logStd"))) as tf.Tensor1D)
        : undefined;
    return {
      out,
      logStd,
      dispose: () => {
        out.dispose();
        logStd?.dispose();
      },
    };
  }

  /**
   * The mean KL(π_old‖π_θ) over `obs` as a scalar tensor, with π_old given by its head outputs
   * (categorical logits or Gaussian means, [B, n], plus log σ) captured earlier with
   * {@link headOutput}. TRPO's line search checks it against δ.
   */
  meanKl(
    obs: ObservationBatch,
    old: { readonly out: tf.Tensor2D; readonly logStd?: tf.Tensor1D },
  ): tf.Scalar {
    const out = this.headOutput(obs);
    if (this.options.action.type === "categorical") {
      // KL(p_old‖p) = Σ p_old (log p_old − log p)
      const lpOld = logSoftmax(old.out);
      const lp = logSoftmax(out);
      return tf.mean(tf.sum(tf.mul(tf.exp(lpOld), tf.sub(lpOld, lp)), -1)) as tf.Scalar;
    }
    const logStd = this.params.get("pi.logStd");
    const logStdOld = old.logStd ?? logStd;
    // KL(N(μ0,σ0²)‖N(μ,σ²)) = log σ − log σ0 + (σ0² + (μ0 − μ)²)/(2σ²) − ½, summed over dimensions
    const varNew = tf.exp(tf.mul(logStd, 2));
    const kl = tf.sub(
      tf.add(
        tf.sub(logStd, logStdOld),
        tf.div(tf.add(tf.exp(tf.mul(logStdOld, 2)), tf.square(tf.sub(old.out, out))), tf.mul(varNew, 2)),
      ),
      0.5,
    );
    return tf.mean(tf.sum(kl, -1)) as tf.Scalar;
  }
}

/** π_old's action distributions captured by {@link MlpPolicy.distributionSnapshot}. */
export interface DistributionSnapshot {
  /** Head outputs [B, n]: categorical logits or Gaussian means. */
  readonly out: tf.Tensor2D;
  /** log σ of a Gaussian head. */
  readonly logStd?: tf.Tensor1D;
  /** Frees the kept tensors. */
  dispose(): void;
}
