import { assertOneOf } from "@rlts/core";
import { assertState, BaseEnv, resetBounds } from "./base-env.js";
import { Box } from "./box.js";
import { Discrete } from "./discrete.js";
import { emptyInfo, type ResetResult, type StepResult } from "./env.js";

/** Options of {@link AcrobotEnv}. */
export interface AcrobotOptions {
  /**
   * `"book"` (Gymnasium's default: Sutton & Barto's equations, which produced the published results) or
   * `"nips"` (Sutton 1996's paper, which lacks the `m2·l1·lc2·θ̇1²·sin θ2` term in θ̈2).
   */
  readonly bookOrNips?: "book" | "nips";
}

const defaults = { bookOrNips: "book" } as const satisfies Required<AcrobotOptions>;

// Constants of Gymnasium classic_control/acrobot.py (from RLPy's Acrobot).
const dt = 0.2;
const l1 = 1.0; // LINK_LENGTH_1 [m]
const m1 = 1.0; // LINK_MASS_1 [kg]
const m2 = 1.0; // LINK_MASS_2 [kg]
const lc1 = 0.5; // LINK_COM_POS_1 [m]
const lc2 = 0.5; // LINK_COM_POS_2 [m]
const I1 = 1.0; // LINK_MOI
const I2 = 1.0;
const g = 9.8;
const maxVel1 = 4 * Math.PI;
const maxVel2 = 9 * Math.PI;
const availTorque = [-1.0, 0.0, 1.0] as const;

/** Gymnasium acrobot.py `wrap`: shifts x by whole periods into [m, M]. */
export function wrapAngle(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x -= diff;
  while (x < m) x += diff;
  return x;
}

/**
 * Acrobot-v1 (Gymnasium `classic_control/acrobot.py`): a two-link chain hanging down, torque −1/0/+1
 * on the middle joint (actions 0/1/2); swing the tip above one link length over the pivot
 * (`−cos θ1 − cos(θ1 + θ2) > 1`). Reward −1 per step, 0 on the terminating step. Integrated with one
 * classical RK4 step of `dt = 0.2` s, angles wrapped to [−π, π], velocities clipped to ±4π and ±9π.
 * Observation `[cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2]`. `makeEnv("Acrobot-v1")` adds the 500-step limit.
 */
export class AcrobotEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box([-1, -1, -1, -1, -maxVel1, -maxVel2], [1, 1, 1, 1, maxVel1, maxVel2]);
  readonly actionSpace = new Discrete(3);
  protected readonly name = "AcrobotEnv";
  private readonly book: boolean;
  /** `[θ1, θ2, θ̇1, θ̇2]`. */
  private readonly s = new Float64Array(4);
  private readonly k1 = new Float64Array(4);
  private readonly k2 = new Float64Array(4);
  private readonly k3 = new Float64Array(4);
  private readonly k4 = new Float64Array(4);
  private readonly tmp = new Float64Array(4);

  constructor(options: AcrobotOptions = {}) {
    super();
    const variant = options.bookOrNips ?? defaults.bookOrNips;
    assertOneOf("env.bookOrNips", variant, ["book", "nips"]);
    this.book = variant === "book";
  }

  /** The physical state `[θ1, θ2, θ̇1, θ̇2]` (Gymnasium's `unwrapped.state`); a copy. */
  get state(): Float64Array {
    return Float64Array.from(this.s);
  }

  /** Sets the physical state; reset first to start an episode. */
  set state(value: ArrayLike<number>) {
    assertState("AcrobotEnv.state", value, 4, "[theta1, theta2, dtheta1, dtheta2]");
    this.s.set(value);
  }

  /** Number of RK4 derivative evaluations so far (4 per step); lets tests check the integrator. */
  derivativeEvaluations = 0;

  protected resetState(options: Readonly<Record<string, unknown>> | undefined): ResetResult<Float32Array> {
    const [low, high] = resetBounds(options, -0.1, 0.1, "AcrobotEnv.reset");
    // Gymnasium: np_random.uniform(low, high, size=(4,)).astype(np.float32).
    for (let i = 0; i < 4; i++) this.s[i] = Math.fround(low + (high - low) * this.rng.next());
    return { obs: this.observation(), info: emptyInfo };
  }

  protected stepState(action: number): StepResult<Float32Array> {
    const torque = availTorque[action];
    const { s, k1, k2, k3, k4, tmp } = this;
    // Gymnasium acrobot.py rk4 over t = [0, dt]: one classical Runge–Kutta step (torque held constant).
    const dt2 = dt / 2;
    this.dsdt(s, torque, k1);
    for (let i = 0; i < 4; i++) tmp[i] = s[i] + dt2 * k1[i];
    this.dsdt(tmp, torque, k2);
    for (let i = 0; i < 4; i++) tmp[i] = s[i] + dt2 * k2[i];
    this.dsdt(tmp, torque, k3);
    for (let i = 0; i < 4; i++) tmp[i] = s[i] + dt * k3[i];
    this.dsdt(tmp, torque, k4);
    for (let i = 0; i < 4; i++) s[i] = s[i] + (dt / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    s[0] = wrapAngle(s[0], -Math.PI, Math.PI);
    s[1] = wrapAngle(s[1], -Math.PI, Math.PI);
    s[2] = Math.min(Math.max(s[2], -maxVel1), maxVel1);
    s[3] = Math.min(Math.max(s[3], -maxVel2), maxVel2);
    // Gymnasium acrobot.py _terminal: the tip is more than one link length above the pivot.
    const terminated = -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
    return {
      obs: this.observation(),
      reward: terminated ? 0.0 : -1.0,
      terminated,
      truncated: false,
      info: emptyInfo,
    };
  }

  /** Gymnasium acrobot.py `_dsdt`: time derivative of `[θ1, θ2, θ̇1, θ̇2]` under torque `a`. */
  private dsdt(state: Float64Array, a: number, out: Float64Array): void {
    this.derivativeEvaluations++;
    const theta1 = state[0];
    const theta2 = state[1];
    const dtheta1 = state[2];
    const dtheta2 = state[3];
    const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
    const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
    const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
      (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
      phi2;
    const ddtheta2 = this.book
      ? (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) /
        (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1)
      : (a + (d2 / d1) * phi1 - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    out[0] = dtheta1;
    out[1] = dtheta2;
    out[2] = ddtheta1;
    out[3] = ddtheta2;
  }

  private observation(): Float32Array {
    const s = this.s;
    return Float32Array.of(Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]);
  }
}
