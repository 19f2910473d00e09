import { assertFinite, assertInteger, assertOneOf, ShapeError } from "@rlts/core";
import { assertNumber } from "./options.js";

/** Which published conjugate-gradient loop: Spinning Up `cg` or sb3-contrib `conjugate_gradient_solver`. */
export type ConjugateGradientVariant = "spinningup" | "sb3";

/** Options of {@link conjugateGradient}. */
export interface ConjugateGradientOptions {
  /** Iterations: exactly this many for `spinningup`, at most this many for `sb3`. Default 10. */
  readonly iterations?: number;
  /**
   * `spinningup` (default): x0 = 0, exactly `iterations` steps, α = rᵀr/(pᵀAp + 1e-8).
   * `sb3`: sb3-contrib's loop with no epsilon and an early stop when rᵀr < `residualTolerance`, but
   * x0 = 0 instead of 1e-4·randn so the result is deterministic.
   */
  readonly variant?: ConjugateGradientVariant;
  /** `sb3` only: stop once rᵀr falls below this. Default 1e-10. */
  readonly residualTolerance?: number;
  /** λ added to the operator: solves (A + λI)x = b. Default 0 (pass a damped product instead). */
  readonly damping?: number;
}

/** The matrix-vector product v ↦ A·v of a symmetric positive-definite A. */
export type MatrixVectorProduct = (v: Float64Array) => Float64Array;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Solves A·x = b by conjugate gradient using only products `fvp(v) = A·v` (TRPO's Fisher-vector
 * products, Schulman et al. 2015 appendix C). With `damping` λ it solves (A + λI)x = b. Returns x; an
 * all-zero `b` gives x = 0 without calling `fvp`.
 */
export function conjugateGradient(
  fvp: MatrixVectorProduct,
  b: Float64Array,
  options: ConjugateGradientOptions = {},
): Float64Array {
  const iterations = options.iterations ?? 10;
  const variant = options.variant ?? "spinningup";
  const residualTolerance = options.residualTolerance ?? 1e-10;
  const damping = options.damping ?? 0;
  assertInteger("conjugateGradient.iterations", iterations, 1);
  assertOneOf("conjugateGradient.variant", variant, ["spinningup", "sb3"] as const);
  assertNumber("conjugateGradient.residualTolerance", residualTolerance, 0);
  assertNumber("conjugateGradient.damping", damping, 0);
  assertFinite("b", b);
  const n = b.length;
  const A = (v: Float64Array): Float64Array => {
    const Av = fvp(v);
    if (Av.length !== n) throw new ShapeError("fvp(v)", `${n} entries (like b)`, `${Av.length}`);
    assertFinite("fvp(v)", Av);
    if (damping === 0) return Av;
    // (F + λI)v  (Spinning Up trpo.py `damping_coeff`; sb3-contrib `cg_damping`)
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Av[i] + damping * v[i];
    return out;
  };
  // x0 = 0, r = b − A·0 = b, p = r  (Spinning Up `cg`; sb3-contrib would start from random x0)
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  let rDotOld = dot(r, r);
  if (rDotOld === 0) return x;
  for (let k = 0; k < iterations; k++) {
    const z = A(p);
    const pAp = dot(p, z);
    // α = rᵀr/(pᵀAp + 1e-8) (Spinning Up `cg`, EPS = 1e-8); α = rᵀr/pᵀAp (sb3-contrib)
    const alpha = variant === "spinningup" ? rDotOld / (pAp + 1e-8) : rDotOld / pAp;
    if (!Number.isFinite(alpha)) break;
    for (let i = 0; i < n; i++) x[i] += alpha * p[i];
    // sb3-contrib returns right after updating x on the last iteration
    if (variant === "sb3" && k === iterations - 1) break;
    for (let i = 0; i < n; i++) r[i] -= alpha * z[i];
    const rDotNew = dot(r, r);
    // sb3-contrib: stop once rᵀr < residual_tol
    if (variant === "sb3" && rDotNew < residualTolerance) break;
    // β = r_newᵀr_new / r_oldᵀr_old; p = r + β·p  (Spinning Up `cg`; sb3-contrib `conjugate_gradient_solver`)
    const beta = rDotNew / rDotOld;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    rDotOld = rDotNew;
    if (rDotOld === 0) break;
  }
  return x;
}
