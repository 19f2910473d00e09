import { ConfigError } from "@rlts/core";
import { assertState, BaseEnv } from "./base-env.js";
import { Box } from "./box.js";
import { emptyInfo, type ResetResult, type StepResult } from "./env.js";

/** Options of {@link PendulumEnv}. */
export interface PendulumOptions {
  /** Gravity g in m/s². Default 10 (Gymnasium's default). */
  readonly g?: number;
}

const defaults = { g: 10.0 } as const satisfies Required<PendulumOptions>;

// Constants of Gymnasium classic_control/pendulum.py.
const maxSpeed = 8;
const maxTorque = 2.0;
const dt = 0.05;
const m = 1.0;
const l = 1.0;

/** Gymnasium pendulum.py `angle_normalize`: ((x + π) mod 2π) − π with a floored (Python) modulo. */
export function angleNormalize(x: number): number {
  const period = 2 * Math.PI;
  const shifted = x + Math.PI;
  return shifted - period * Math.floor(shifted / period) - Math.PI;
}

/**
 * Pendulum-v1 (Gymnasium `classic_control/pendulum.py`): swing a pendulum up with a torque in
 * [−2, 2] (a `Box` action of shape [1]). Reward `−(θ² + 0.1·θ̇² + 0.001·u²)` with θ normalised to
 * [−π, π) (0 upright); never terminates; `makeEnv` adds the 200-step limit. Semi-implicit Euler with
 * dt = 0.05, θ̇ clipped to ±8. Starts with θ uniform in [−π, π] and θ̇ uniform in [−1, 1].
 */
export class PendulumEnv extends BaseEnv<Float32Array, ArrayLike<number>> {
  readonly observationSpace = new Box([-1, -1, -maxSpeed], [1, 1, maxSpeed]);
  readonly actionSpace = new Box(-maxTorque, maxTorque, [1]);
  protected readonly name = "PendulumEnv";
  private readonly g: number;
  private theta = 0;
  private thetaDot = 0;

  constructor(options: PendulumOptions = {}) {
    super();
    this.g = options.g ?? defaults.g;
    if (typeof this.g !== "number" || !Number.isFinite(this.g)) {
      throw new ConfigError("env.g", options.g, "use a finite gravity in m/s², e.g. 9.81");
    }
  }

  /** The physical state `[θ, θ̇]`; a copy. */
  get state(): Float64Array {
    return Float64Array.of(this.theta, this.thetaDot);
  }

  /** Sets the physical state; reset first to start an episode. */
  set state(value: ArrayLike<number>) {
    assertState("PendulumEnv.state", value, 2, "[theta, thetaDot]");
    this.theta = value[0];
    this.thetaDot = value[1];
  }

  protected resetState(options: Readonly<Record<string, unknown>> | undefined): ResetResult<Float32Array> {
    // Gymnasium pendulum.py reset: options {x_init, y_init} bound θ and θ̇ symmetrically (defaults π, 1).
    const xInit = options?.xInit ?? options?.x_init ?? Math.PI;
    const yInit = options?.yInit ?? options?.y_init ?? 1.0;
    if (typeof xInit !== "number" || !Number.isFinite(xInit)) {
      throw new ConfigError("PendulumEnv.reset.options.xInit", xInit, "use a finite number");
    }
    if (typeof yInit !== "number" || !Number.isFinite(yInit)) {
      throw new ConfigError("PendulumEnv.reset.options.yInit", yInit, "use a finite number");
    }
    this.theta = -xInit + 2 * xInit * this.rng.next();
    this.thetaDot = -yInit + 2 * yInit * this.rng.next();
    return { obs: this.observation(), info: emptyInfo };
  }

  protected stepState(action: ArrayLike<number>): StepResult<Float32Array> {
    const th = this.theta;
    const thdot = this.thetaDot;
    const u = Math.min(Math.max(action[0], -maxTorque), maxTorque);
    // Gymnasium pendulum.py: costs = angle_normalize(θ)² + 0.1·θ̇² + 0.001·u², reward = −costs.
    const costs = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2;
    // Semi-implicit Euler: θ̇ first (then clipped), θ with the new θ̇.
    let newThdot = thdot + (((3 * this.g) / (2 * l)) * Math.sin(th) + (3.0 / (m * l ** 2)) * u) * dt;
    newThdot = Math.min(Math.max(newThdot, -maxSpeed), maxSpeed);
    const newTh = th + newThdot * dt;
    this.theta = newTh;
    this.thetaDot = newThdot;
    return { obs: this.observation(), reward: -costs, terminated: false, truncated: false, info: emptyInfo };
  }

  private observation(): Float32Array {
    return Float32Array.of(Math.cos(this.theta), Math.sin(this.theta), this.thetaDot);
  }
}
