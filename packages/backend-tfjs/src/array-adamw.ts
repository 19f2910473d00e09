import { assertInRange, ConfigError, ShapeError } from "@rlts/core";
import { type AdamWOptions, type AdamWState, adamWDefaults } from "./adamw.js";
import { learningRateAt, resolveSchedule, stripUndefined } from "./schedule.js";

/** A parameter updated in place by {@link ArrayAdamW}: its values and its shape (decay needs rank ≥ 2). */
export interface ArrayParameter {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * AdamW over plain Float32Arrays, updated in place: the algorithm, options, schedule and state layout
 * of {@link AdamW} (Loshchilov & Hutter 2019, Algorithm 2; PyTorch `torch.optim.AdamW`) for weights
 * that live in JS memory, such as an onnxruntime engine's feeds. For a small network it is far cheaper
 * than tfjs's AdamW: one loop per parameter instead of a dozen kernels.
 */
export class ArrayAdamW {
  readonly config: Required<AdamWOptions>;
  private t = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(
    private readonly params: ReadonlyMap<string, ArrayParameter>,
    options: AdamWOptions = {},
    field = "optimizer",
  ) {
    const schedule = resolveSchedule(options, field);
    const o = { ...adamWDefaults, ...stripUndefined(options) };
    assertInRange(`${field}.beta1`, o.beta1, 0, 0.999999);
    assertInRange(`${field}.beta2`, o.beta2, 0, 0.999999999);
    assertInRange(`${field}.epsilon`, o.epsilon, 0, 1);
    assertInRange(`${field}.weightDecay`, o.weightDecay, 0, 10);
    assertInRange(`${field}.maxGradNorm`, o.maxGradNorm, 0, 1e12);
    this.config = { ...o, ...schedule };
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.data.length));
      this.v.set(name, new Float32Array(p.data.length));
    }
  }

  /** Optimiser steps taken so far. */
  get step(): number {
    return this.t;
  }

  /** The learning rate the next step will use. */
  get currentLr(): number {
    return learningRateAt(this.config, this.t);
  }

  /**
   * One update of the parameters named in `grads` (others are left alone, as PyTorch skips parameters
   * whose .grad is None). `scale` multiplies every gradient (the clip factor).
   */
  apply(grads: ReadonlyMap<string, ArrayLike<number>>, scale: number): void {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new ConfigError(`grads.${name}`, undefined, "use the names of the optimised parameters");
      if (g.length !== p.data.length)
        throw new ShapeError(`grads.${name}`, `${p.data.length} values`, `${g.length}`);
    }
    const lr = learningRateAt(this.config, this.t);
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    // Bias corrections 1 − β^t (Kingma & Ba 2015, Algorithm 1).
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    // θ ← θ − lr·m̂/(√v̂ + ε) written as θ − (lr/bc1)·m/(√v/√bc2 + ε), PyTorch's arrangement.
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (const [name, g] of grads) {
      const p = this.params.get(name)!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const theta = p.data;
      // Decoupled decay θ ← θ·(1 − lr·λ) before the Adam step (PyTorch AdamW), rank ≥ 2 only.
      const decay = weightDecay > 0 && p.shape.length >= 2 ? 1 - lr * weightDecay : 1;
      for (let i = 0; i < theta.length; i++) {
        const gi = g[i] * scale;
        // m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
        const mi = beta1 * m[i] + (1 - beta1) * gi;
        const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        theta[i] = theta[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + epsilon);
      }
    }
  }

  /** A copy of the state ({@link AdamW}'s layout), for checkpoints. */
  getState(): AdamWState {
    const copy = (map: Map<string, Float32Array>) => new Map([...map].map(([k, a]) => [k, a.slice()]));
    return { step: this.t, m: copy(this.m), v: copy(this.v) };
  }

  /** Restores a state saved by {@link getState} or by {@link AdamW.getState}. */
  setState(state: AdamWState): void {
    for (const [which, map] of [
      [state.m, this.m],
      [state.v, this.v],
    ] as const) {
      for (const [name, target] of map) {
        const data = which.get(name);
        if (!data) continue;
        if (data.length !== target.length) {
          throw new ShapeError(`optimizer state.${name}`, `${target.length} values`, `${data.length}`);
        }
        target.set(data);
      }
    }
    this.t = state.step;
  }
}
