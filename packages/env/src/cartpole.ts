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

/** CartPole's observation space: x and θ bounded at twice their termination thresholds (Gymnasium). */
export function cartPoleObservationSpace(): Box {
  return new Box(
    [-xThreshold * 2, -float32Max, -thetaThresholdRadians * 2, -float32Max],
    [xThreshold * 2, float32Max, thetaThresholdRadians * 2, float32Max],
  );
}

/** Reads the integrator option shared by {@link CartPoleEnv} and the vector CartPole. */
export function cartPoleSemiImplicit(options: CartPoleOptions): boolean {
  const integrator = options.kinematicsIntegrator ?? defaults.kinematicsIntegrator;
  assertOneOf("env.kinematicsIntegrator", integrator, ["euler", "semi-implicit-euler"]);
  return integrator === "semi-implicit-euler";
}

/**
 * Advances the CartPole state `s[o … o+3] = [x, ẋ, θ, θ̇]` by one step of τ = 0.02 s under `action`
 * (0 pushes left, 1 right) in place, and returns whether the episode terminated. Shared by the single
 * and the vector environment so both run the same arithmetic.
 */
export function cartPoleStep(s: Float64Array, o: number, action: number, semiImplicit: boolean): boolean {
  let x = s[o];
  let xDot = s[o + 1];
  let theta = s[o + 2];
  let thetaDot = s[o + 3];
  const force = action === 1 ? forceMag : -forceMag;
  const cosTheta = Math.cos(theta);
  const sinTheta = Math.sin(theta);
  // Gymnasium cartpole.py step (Florian 2005, "Correct equations for the dynamics of the cart-pole system").
  const temp = (force + poleMassLength * thetaDot * thetaDot * sinTheta) / totalMass;
  const thetaAcc =
    (gravity * sinTheta - cosTheta * temp) /
    (length * (4.0 / 3.0 - (massPole * cosTheta * cosTheta) / totalMass));
  const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / totalMass;
  if (semiImplicit) {
    xDot = xDot + tau * xAcc;
    x = x + tau * xDot;
    thetaDot = thetaDot + tau * thetaAcc;
    theta = theta + tau * thetaDot;
  } else {
    x = x + tau * xDot;
    xDot = xDot + tau * xAcc;
    theta = theta + tau * thetaDot;
    thetaDot = thetaDot + tau * thetaAcc;
  }
  s[o] = x;
  s[o + 1] = xDot;
  s[o + 2] = theta;
  s[o + 3] = thetaDot;
  return x < -xThreshold || x > xThreshold || theta < -thetaThresholdRadians || theta > thetaThresholdRadians;
}

/**
 * CartPole-v1 (Gymnasium `classic_control/cartpole.py`): push a cart left (action 0) or right (1) to
 * keep a pole upright. Reward +1 per step including the terminating one; terminates when |x| > 2.4 or
 * |θ| > 12°. Observations are float32 `[x, ẋ, θ, θ̇]` in a box whose x and θ bounds are twice the
 * thresholds; the reset state is uniform in ±0.05. `makeEnv("CartPole-v1")` adds the 500-step limit.
 */
export class CartPoleEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = cartPoleObservationSpace();
  readonly actionSpace = new Discrete(2);
  protected readonly name = "CartPoleEnv";
  private readonly semiImplicit: boolean;
  private readonly s = new Float64Array(4);

  constructor(options: CartPoleOptions = {}) {
    super();
    this.semiImplicit = cartPoleSemiImplicit(options);
  }

  /** The physical state `[x, ẋ, θ, θ̇]` in float64 (Gymnasium's `unwrapped.state`); a copy. */
  get state(): Float64Array {
    return Float64Array.from(this.s);
  }

  /** Sets the physical state, e.g. to replay a hand-worked trajectory. Reset first to start an episode. */
  set state(value: ArrayLike<number>) {
    assertState("CartPoleEnv.state", value, 4, "[x, xDot, theta, thetaDot]");
    this.s.set(value);
  }

  protected resetState(options: Readonly<Record<string, unknown>> | undefined): ResetResult<Float32Array> {
    const [low, high] = resetBounds(options, -0.05, 0.05, "CartPoleEnv.reset");
    // Gymnasium: np_random.uniform(low, high, size=(4,)).
    for (let i = 0; i < 4; i++) this.s[i] = low + (high - low) * this.rng.next();
    return { obs: this.observation(), info: emptyInfo };
  }

  protected stepState(action: number): StepResult<Float32Array> {
    const terminated = cartPoleStep(this.s, 0, action, this.semiImplicit);
    return { obs: this.observation(), reward: 1.0, terminated, truncated: false, info: emptyInfo };
  }

  private observation(): Float32Array {
    // Filling a new array is several times faster in V8 than Float32Array.of.
    const obs = new Float32Array(4);
    obs[0] = this.s[0];
    obs[1] = this.s[1];
    obs[2] = this.s[2];
    obs[3] = this.s[3];
    return obs;
  }
}
