import { assertOneOf } from "@rlts/core";
import { assertState, BaseEnv, resetBounds } from "./base-env.js";
import { Box } from "./box.js";
import { Discrete } from "./discrete.js";
import { emptyInfo, type ResetResult, type StepResult } from "./env.js";

/** Options of {@link CartPoleEnv}. */
export interface CartPoleOptions {
  /**
   * `"euler"` (Gymnasium's default: positions advance with the old velocities) or
   * `"semi-implicit-euler"` (velocities first, then positions with the new velocities).
   */
  readonly kinematicsIntegrator?: "euler" | "semi-implicit-euler";
}

const defaults = { kinematicsIntegrator: "euler" } as const satisfies Required<CartPoleOptions>;

// Constants of Gymnasium classic_control/cartpole.py (Barto, Sutton & Anderson 1983).
const gravity = 9.8;
const massCart = 1.0;
const massPole = 0.1;
const totalMass = massPole + massCart;
const length = 0.5; // half the pole's length
const poleMassLength = massPole * length;
const forceMag = 10.0;
const tau = 0.02; // seconds between state updates
/** ±12°: the episode terminates beyond it. */
const thetaThresholdRadians = (12 * 2 * Math.PI) / 360;
const xThreshold = 2.4;
const float32Max = 3.4028234663852886e38;

/**
 * CartPole-v1 (Gymnasium `classic_control/cartpole.py`): push a cart left (action 0) or right (1) to
 * keep a pole upright. Reward +1 per step including the terminating one; terminates when |x| > 2.4 or
 * |θ| > 12°. Observations are float32 `[x, ẋ, θ, θ̇]` in a box whose x and θ bounds are twice the
 * thresholds; the reset state is uniform in ±0.05. `makeEnv("CartPole-v1")` adds the 500-step limit.
 */
export class CartPoleEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box(
    [-xThreshold * 2, -float32Max, -thetaThresholdRadians * 2, -float32Max],
    [xThreshold * 2, float32Max, thetaThresholdRadians * 2, float32Max],
  );
  readonly actionSpace = new Discrete(2);
  protected readonly name = "CartPoleEnv";
  private readonly semiImplicit: boolean;
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;

  constructor(options: CartPoleOptions = {}) {
    super();
    const integrator = options.kinematicsIntegrator ?? defaults.kinematicsIntegrator;
    assertOneOf("env.kinematicsIntegrator", integrator, ["euler", "semi-implicit-euler"]);
    this.semiImplicit = integrator === "semi-implicit-euler";
  }

  /** The physical state `[x, ẋ, θ, θ̇]` in float64 (Gymnasium's `unwrapped.state`); a copy. */
  get state(): Float64Array {
    return Float64Array.of(this.x, this.xDot, this.theta, this.thetaDot);
  }

  /** Sets the physical state, e.g. to replay a hand-worked trajectory. Reset first to start an episode. */
  set state(value: ArrayLike<number>) {
    assertState("CartPoleEnv.state", value, 4, "[x, xDot, theta, thetaDot]");
    this.x = value[0];
    this.xDot = value[1];
    this.theta = value[2];
    this.thetaDot = value[3];
  }

  protected resetState(options: Readonly<Record<string, unknown>> | undefined): ResetResult<Float32Array> {
    const [low, high] = resetBounds(options, -0.05, 0.05, "CartPoleEnv.reset");
    // Gymnasium: np_random.uniform(low, high, size=(4,)).
    this.x = low + (high - low) * this.rng.next();
    this.xDot = low + (high - low) * this.rng.next();
    this.theta = low + (high - low) * this.rng.next();
    this.thetaDot = low + (high - low) * this.rng.next();
    return { obs: Float32Array.of(this.x, this.xDot, this.theta, this.thetaDot), info: emptyInfo };
  }

  protected stepState(action: number): StepResult<Float32Array> {
    const force = action === 1 ? forceMag : -forceMag;
    const cosTheta = Math.cos(this.theta);
    const sinTheta = Math.sin(this.theta);
    // Gymnasium cartpole.py step (Florian 2005, "Correct equations for the dynamics of the cart-pole system").
    const temp = (force + poleMassLength * this.thetaDot * this.thetaDot * sinTheta) / totalMass;
    const thetaAcc =
      (gravity * sinTheta - cosTheta * temp) /
      (length * (4.0 / 3.0 - (massPole * cosTheta * cosTheta) / totalMass));
    const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / totalMass;
    if (this.semiImplicit) {
      this.xDot = this.xDot + tau * xAcc;
      this.x = this.x + tau * this.xDot;
      this.thetaDot = this.thetaDot + tau * thetaAcc;
      this.theta = this.theta + tau * this.thetaDot;
    } else {
      this.x = this.x + tau * this.xDot;
      this.xDot = this.xDot + tau * xAcc;
      this.theta = this.theta + tau * this.thetaDot;
      this.thetaDot = this.thetaDot + tau * thetaAcc;
    }
    const terminated =
      this.x < -xThreshold ||
      this.x > xThreshold ||
      this.theta < -thetaThresholdRadians ||
      this.theta > thetaThresholdRadians;
    return {
      obs: Float32Array.of(this.x, this.xDot, this.theta, this.thetaDot),
      reward: 1.0,
      terminated,
      truncated: false,
      info: emptyInfo,
    };
  }
}
