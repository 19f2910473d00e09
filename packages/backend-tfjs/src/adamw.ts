import { assertInRange } from "@rlts/core";
import * as tf from "@tensorflow/tfjs-core";
import { type LrScheduleOptions, learningRateAt, resolveSchedule, stripUndefined } from "./schedule.js";

/** Options of {@link AdamW}: Adam moments, decoupled weight decay, clipping and the lr schedule. */
export interface AdamWOptions extends LrScheduleOptions {
  /** β1. Default 0.9. */
  readonly beta1?: number;
  /** β2. Default 0.999 (PyTorch). */
  readonly beta2?: number;
  /** ε added to √v̂. Default 1e-8 (PyTorch). */
  readonly epsilon?: number;
  /** Decoupled weight decay λ, applied to parameters of rank ≥ 2 only (nanoGPT). Default 0. */
  readonly weightDecay?: number;
  /** Clip the global gradient norm to this value; 0 disables clipping. Default 1. */
  readonly maxGradNorm?: number;
}

/** Defaults of {@link AdamWOptions} (besides the schedule's, see `lrScheduleDefaults`). */
export const adamWDefaults = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
} as const;

/** Serialisable AdamW state: the step count and the first and second moments by parameter name. */
export interface AdamWState {
  readonly step: number;
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
}

/**
 * AdamW (Loshchilov & Hutter 2019, Algorithm 2; PyTorch `torch.optim.AdamW`) over tfjs variables, with
 * the moments kept as tfjs variables so a step never leaves tensors behind.
 */
export class AdamW {
  readonly config: Required<AdamWOptions>;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
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
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
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
   * One update of the parameters named in `grads` (parameters without a gradient are left alone, as
   * PyTorch skips parameters whose .grad is None). `scale` multiplies every gradient (the clip factor).
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, scale: number): void {
    const lr = learningRateAt(this.config, this.t);
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    // Bias corrections 1 − β^t (Kingma & Ba 2015, Algorithm 1).
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    // θ ← θ − lr·m̂/(√v̂ + ε) written as θ − (lr/bc1)·m/(√v/√bc2 + ε), PyTorch's arrangement.
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    tf.tidy(() => {
      for (const [name, g0] of grads) {
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        // m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), epsilon);
        // Decoupled decay θ ← θ·(1 − lr·λ) before the Adam step (PyTorch AdamW), rank ≥ 2 only.
        const decayed = weightDecay > 0 && p.rank >= 2 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** A copy of the state, for checkpoints. */
  getState(): AdamWState {
    const copy = (map: Map<string, tf.Variable>) =>
      new Map([...map].map(([k, t]) => [k, Float32Array.from(t.dataSync() as Float32Array)]));
    return { step: this.t, m: copy(this.m), v: copy(this.v) };
  }

  /** Restores a state saved by {@link getState}; shapes are checked by the caller. */
  setState(state: AdamWState): void {
    this.t = state.step;
    for (const [which, map] of [
      [state.m, this.m],
      [state.v, this.v],
    ] as const) {
      for (const [name, variable] of map) {
        const data = which.get(name);
        if (!data) continue;
        tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, "float32")));
      }
    }
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
