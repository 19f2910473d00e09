import type {
  LossInputs,
  LossOutput,
  Objective,
  TrustRegionProblem,
  TrustRegionStepResult,
} from "@rlts/core";
import { assertFinite, assertInteger, assertOneOf, ConfigError, ShapeError } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import {
  type AdvantageNormalization,
  advantageNormalizations,
  normalizeAdvantages,
} from "./advantage-norm.js";
import { conjugateGradient } from "./conjugate-gradient.js";
import { assertKnownOptions, assertNumber, stripUndefined } from "./options.js";
import {
  alignTo,
  assertFiniteTensors,
  assertLossShapes,
  maskedMean,
  readScalars,
  requireInput,
  type Tensor,
} from "./tensor-ops.js";

/** Which reference TRPO update to follow: Spinning Up tf1 trpo.py or sb3-contrib trpo.py. */
export type TrpoConvention = "spinningup" | "sb3";

/** Options of {@link trpoStep} and the `trpo` objective. Defaults follow Spinning Up tf1 trpo.py. */
export interface TrpoOptions {
  /** δ, the KL trust-region radius. Default 0.01. */
  readonly maxKl?: number;
  /** λ of (F + λI). Default 0.1. */
  readonly damping?: number;
  /** Conjugate-gradient iterations. Default 10 (Spinning Up; sb3-contrib uses 15). */
  readonly cgIterations?: number;
  /** Line-search shrink factor c. Default 0.8. */
  readonly backtrackCoef?: number;
  /** Line-search steps K. Default 10. */
  readonly backtrackIters?: number;
  /**
   * `spinningup` (default): CG with α = rᵀr/(pᵀAp + 1e-8), step β = sqrt(2δ/(xᵀHx + 1e-8)), accept when
   * KL ≤ δ and loss_new ≤ loss_old. `sb3`: sb3-contrib CG (x0 = 0, residual tolerance 1e-10), no epsilons,
   * accept when KL < δ and loss_new < loss_old.
   */
  readonly convention?: TrpoConvention;
  /** Advantage normalisation in the surrogate. Default `population-std` (Spinning Up; sb3 uses `sample-std`). */
  readonly normalizeAdvantages?: AdvantageNormalization;
}

/** {@link TrpoOptions} with every default filled in. */
export interface ResolvedTrpoOptions {
  readonly maxKl: number;
  readonly damping: number;
  readonly cgIterations: number;
  readonly backtrackCoef: number;
  readonly backtrackIters: number;
  readonly convention: TrpoConvention;
  readonly normalizeAdvantages: AdvantageNormalization;
}

/** The documented defaults of {@link TrpoOptions}. */
export const trpoDefaults: ResolvedTrpoOptions = {
  maxKl: 0.01,
  damping: 0.1,
  cgIterations: 10,
  backtrackCoef: 0.8,
  backtrackIters: 10,
  convention: "spinningup",
  normalizeAdvantages: "population-std",
};

/** Fills in defaults and validates; errors name `${field}.<option>`. */
export function resolveTrpoOptions(options: TrpoOptions = {}, field = "objective"): ResolvedTrpoOptions {
  assertKnownOptions(field, options, Object.keys(trpoDefaults));
  const o: ResolvedTrpoOptions = { ...trpoDefaults, ...stripUndefined(options) };
  assertNumber(`${field}.maxKl`, o.maxKl, 0, true);
  assertNumber(`${field}.damping`, o.damping, 0);
  assertInteger(`${field}.cgIterations`, o.cgIterations, 1);
  assertNumber(`${field}.backtrackCoef`, o.backtrackCoef, 0, true);
  if (o.backtrackCoef >= 1) {
    throw new ConfigError(`${field}.backtrackCoef`, o.backtrackCoef, "use 0 < c < 1, e.g. 0.8");
  }
  assertInteger(`${field}.backtrackIters`, o.backtrackIters, 1);
  assertOneOf(`${field}.convention`, o.convention, ["spinningup", "sb3"] as const);
  assertOneOf(`${field}.normalizeAdvantages`, o.normalizeAdvantages, advantageNormalizations);
  return o;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * One TRPO policy update on any engine (Schulman et al. 2015, TRPO §6 and appendix C): solve
 * (F + λI)x = g by conjugate gradient (g = ∇loss), take the largest step β = sqrt(2δ/(xᵀ(F+λI)x))
 * along −x, and backtrack θ_j = θ_old − c^j·β·x, j = 0..K−1, accepting the first θ_j with mean KL
 * within δ and no worse loss. If none passes (or the direction is degenerate) the old parameters are
 * restored and `accepted` is false. Metrics: `kl`, `loss_before`, `loss_after`, `backtracks`,
 * `step_size`, `xHx`.
 */
export function trpoStep(problem: TrustRegionProblem, options: TrpoOptions = {}): TrustRegionStepResult {
  const o = resolveTrpoOptions(options, "trpo");
  const spinningUp = o.convention === "spinningup";
  const thetaOld = problem.getParams();
  const n = thetaOld.length;
  assertFinite("params", thetaOld);
  const lossOld = problem.loss();
  const g = problem.gradient();
  if (g.length !== n) throw new ShapeError("gradient()", `${n} entries (like params)`, `${g.length}`);
  assertFinite("gradient()", g);
  // Hv = F·v + λ·v  (Spinning Up trpo.py `damping_coeff`)
  const H = (v: Float64Array): Float64Array => {
    const Fv = problem.fisherVectorProduct(v);
    if (Fv.length !== n) throw new ShapeError("fisherVectorProduct(v)", `${n} entries`, `${Fv.length}`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Fv[i] + o.damping * v[i];
    return out;
  };
  // x = (F + λI)⁻¹ g by CG  (TRPO appendix C)
  const x = conjugateGradient(H, g, { iterations: o.cgIterations, variant: o.convention });
  const xHx = dot(x, H(x));
  const rejected = (kl = 0): TrustRegionStepResult => {
    problem.setParams(thetaOld);
    return {
      accepted: false,
      metrics: {
        kl,
        loss_before: lossOld,
        loss_after: lossOld,
        backtracks: o.backtrackIters,
        step_size: 0,
        xHx,
      },
    };
  };
  if (!(xHx > 0) || !Number.isFinite(xHx)) return rejected();
  // β = sqrt(2δ/(xᵀ(F+λI)x))  (TRPO appendix C); Spinning Up trpo.py adds 1e-8 to the denominator
  const beta = Math.sqrt((2 * o.maxKl) / (xHx + (spinningUp ? 1e-8 : 0)));
  const theta = new Float64Array(n);
  for (let j = 0; j < o.backtrackIters; j++) {
    // θ_j = θ_old − c^j·β·x  (Spinning Up trpo.py backtracking line search, x = H⁻¹∇loss)
    const stepSize = o.backtrackCoef ** j * beta;
    for (let i = 0; i < n; i++) theta[i] = thetaOld[i] - stepSize * x[i];
    problem.setParams(theta);
    const kl = problem.meanKl();
    const lossNew = problem.loss();
    // accept: KL ≤ δ and loss_new ≤ loss_old (Spinning Up trpo.py); KL < δ, loss_new < loss_old (sb3-contrib)
    const accept = spinningUp ? kl <= o.maxKl && lossNew <= lossOld : kl < o.maxKl && lossNew < lossOld;
    if (Number.isFinite(kl) && Number.isFinite(lossNew) && accept) {
      return {
        accepted: true,
        metrics: { kl, loss_before: lossOld, loss_after: lossNew, backtracks: j, step_size: stepSize, xHx },
      };
    }
  }
  // No step passed: keep θ_old (both references; sb3-contrib logs KL = 0)
  return rejected();
}

/**
 * TRPO's surrogate loss −mean(π_θ/π_old · A) for one batch (Spinning Up trpo.py `pi_loss`).
 * Metrics: `policy_loss`, `approx_kl` (k3), `old_approx_kl` (k1), `loss`.
 */
export function trpoSurrogateLoss(inputs: LossInputs<Tensor>, options: TrpoOptions = {}): LossOutput<Tensor> {
  const o = resolveTrpoOptions(options);
  const { logprobs, advantages, mask } = inputs;
  const oldLogprobs = requireInput("oldLogprobs", inputs.oldLogprobs, "TRPO's surrogate ratio is π_θ/π_old");
  assertLossShapes(logprobs, { oldLogprobs, advantages, mask }, ["advantages"]);
  assertFiniteTensors({ logprobs, oldLogprobs, advantages, mask });
  let metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const advMask = mask && advantages.rank === mask.rank ? mask : undefined;
    const adv = alignTo(normalizeAdvantages(advantages, o.normalizeAdvantages, advMask), logprobs);
    const logRatio = tf.sub(logprobs, oldLogprobs);
    const ratio = tf.exp(logRatio);
    // L = −mean(ρ·A), ρ = π_θ/π_old  (TRPO paper eq. 14)
    const surrogate = tf.neg(maskedMean(tf.mul(ratio, adv), mask));
    metrics = readScalars({
      policy_loss: surrogate,
      // k1 and k3 of π_old/π_θ  (Schulman, "Approximating KL Divergence")
      old_approx_kl: maskedMean(tf.neg(logRatio), mask),
      approx_kl: maskedMean(tf.sub(tf.sub(ratio, 1), logRatio), mask),
      loss: surrogate,
    });
    return surrogate;
  });
  return { loss, metrics };
}

/**
 * The `trpo` objective: `loss` is the surrogate (the trainer differentiates it for g and the line
 * search), and `trustRegionStep` replaces the optimiser step. The value function is fitted separately.
 */
export class TrpoObjective implements Objective<Tensor> {
  readonly name = "trpo";
  readonly requires: readonly (keyof LossInputs<Tensor>)[] = ["oldLogprobs"];
  readonly options: ResolvedTrpoOptions;

  constructor(options: TrpoOptions = {}, field = "objective") {
    this.options = resolveTrpoOptions(options, field);
  }

  loss(inputs: LossInputs<Tensor>): LossOutput<Tensor> {
    return trpoSurrogateLoss(inputs, this.options);
  }

  trustRegionStep(problem: TrustRegionProblem): TrustRegionStepResult {
    return trpoStep(problem, this.options);
  }
}
