import { assertFinite } from "@rlts/core";
import { assertState, BaseEnv, resetBounds } from "./base-env.js";
import { Box } from "./box.js";
import { Discrete } from "./discrete.js";
import { emptyInfo, type ResetResult, type StepResult } from "./env.js";

/** Options of {@link MountainCarEnv}. */
export interface MountainCarOptions {
  /** Minimum velocity at the goal for the episode to terminate. Default 0 (Gymnasium's `goal_velocity`). */
  readonly goalVelocity?: number;
}

const defaults = { goalVelocity: 0 } as const satisfies Required<MountainCarOptions>;

// Constants of Gymnasium classic_control/mountain_car.py (Moore 1990).
const minPosition = -1.2;
const maxPosition = 0.6;
const maxSpeed = 0.07;
const goalPosition = 0.5;
const force = 0.001;
const gravity = 0.0025;

/**
 * MountainCar-v0 (Gymnasium `classic_control/mountain_car.py`): push left (0), nothing (1) or right (2)
 * to drive an underpowered car up the right hill. Reward −1 per step; terminates at position ≥ 0.5 with
 * velocity ≥ goalVelocity. Starts at position uniform in [−0.6, −0.4], velocity 0. `makeEnv` adds the
 * 200-step limit.
 */
export class MountainCarEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box([minPosition, -maxSpeed], [maxPosition, maxSpeed]);
  readonly actionSpace = new Discrete(3);
  protected readonly name = "MountainCarEnv";
  private readonly goalVelocity: number;
  private position = 0;
  private velocity = 0;

  constructor(options: MountainCarOptions = {}) {
    super();
    this.goalVelocity = options.goalVelocity ?? defaults.goalVelocity;
    assertFinite("env.goalVelocity", [this.goalVelocity]);
  }

  /** The physical state `[position, velocity]`; a copy. */
  get state(): Float64Array {
    return Float64Array.of(this.position, this.velocity);
  }

  /** Sets the physical state; reset first to start an episode. */
  set state(value: ArrayLike<number>) {
    assertState("MountainCarEnv.state", value, 2, "[position, velocity]");
    this.position = value[0];
    this.velocity = value[1];
  }

  protected resetState(options: Readonly<Record<string, unknown>> | undefined): ResetResult<Float32Array> {
    const [low, high] = resetBounds(options, -0.6, -0.4, "MountainCarEnv.reset");
    this.position = low + (high - low) * this.rng.next();
    this.velocity = 0;
    return { obs: Float32Array.of(this.position, this.velocity), info: emptyInfo };
  }

  protected stepState(action: number): StepResult<Float32Array> {
    // Gymnasium mountain_car.py step: v += (a − 1)·force − cos(3p)·gravity, clipped; p += v, clipped.
    let velocity = this.velocity + (action - 1) * force + Math.cos(3 * this.position) * -gravity;
    velocity = Math.min(Math.max(velocity, -maxSpeed), maxSpeed);
    let position = this.position + velocity;
    position = Math.min(Math.max(position, minPosition), maxPosition);
    // The left wall is inelastic.
    if (position === minPosition && velocity < 0) velocity = 0;
    this.position = position;
    this.velocity = velocity;
    const terminated = position >= goalPosition && velocity >= this.goalVelocity;
    return {
      obs: Float32Array.of(position, velocity),
      reward: -1.0,
      terminated,
      truncated: false,
      info: emptyInfo,
    };
  }
}
