import { ConfigError, type Rng, StateError } from "@rlts/core";
import type { Env, EnvSpec, ResetOptions, ResetResult, StepResult } from "./env.js";
import { InvalidActionError } from "./errors.js";
import { seededRng } from "./seeding.js";
import type { Space } from "./space.js";

/**
 * The bookkeeping every built-in environment shares: the seeded generator, the "reset before step"
 * and "reset after the end" checks (Gymnasium's `OrderEnforcing`, made an error), and action
 * validation. Subclasses implement {@link BaseEnv.resetState} and {@link BaseEnv.stepState}.
 */
export abstract class BaseEnv<Obs, Act> implements Env<Obs, Act> {
  abstract readonly observationSpace: Space<Obs>;
  abstract readonly actionSpace: Space<Act>;
  spec?: EnvSpec;
  /**
   * The environment's generator, `seededRng(seed)` from the last seeded reset. Until then it is
   * `seededRng(0)`, so an environment nobody seeds is still deterministic.
   */
  protected rng: Rng = seededRng(0);
  private needsReset = true;

  /** The name used in error messages. */
  protected abstract readonly name: string;

  get unwrapped(): Env {
    return this;
  }

  reset(options: ResetOptions = {}): ResetResult<Obs> {
    if (options.seed !== undefined) {
      if (!Number.isSafeInteger(options.seed)) {
        throw new ConfigError("reset.seed", options.seed, "use a whole number, e.g. env.reset({ seed: 42 })");
      }
      this.rng = seededRng(options.seed);
    }
    const result = this.resetState(options.options);
    this.needsReset = false;
    return result;
  }

  step(action: Act): StepResult<Obs> {
    if (this.needsReset) {
      throw new StateError(
        `${this.name}.step() called before reset() or after the episode ended (terminated or truncated); ` +
          "call env.reset() to start a new episode",
      );
    }
    if (!this.actionSpace.contains(action)) {
      throw new InvalidActionError(this.name, action, String(this.actionSpace));
    }
    const result = this.stepState(action);
    if (result.terminated || result.truncated) this.needsReset = true;
    return result;
  }

  close(): void {}

  /** Draws the initial state from `this.rng` and returns the first observation. */
  protected abstract resetState(options: Readonly<Record<string, unknown>> | undefined): ResetResult<Obs>;
  /** Advances the dynamics one step with a validated action. */
  protected abstract stepState(action: Act): StepResult<Obs>;
}

/**
 * Reads Gymnasium's reset bounds option `{ low, high }` (`utils.maybe_parse_reset_bounds`): both
 * default, or both given, with `low ≤ high`.
 */
export function resetBounds(
  options: Readonly<Record<string, unknown>> | undefined,
  defaultLow: number,
  defaultHigh: number,
  field: string,
): [number, number] {
  if (options === undefined) return [defaultLow, defaultHigh];
  const low = options.low ?? defaultLow;
  const high = options.high ?? defaultHigh;
  if (typeof low !== "number" || !Number.isFinite(low)) {
    throw new ConfigError(`${field}.options.low`, low, "use a finite number");
  }
  if (typeof high !== "number" || !Number.isFinite(high) || high < low) {
    throw new ConfigError(`${field}.options.high`, high, `use a finite number ≥ low (${low})`);
  }
  return [low, high];
}

/** Validates a physical state assigned to an environment's `state`. */
export function assertState(field: string, value: ArrayLike<number>, n: number, names: string): void {
  if (value == null || value.length !== n) throw new ConfigError(field, value, `set ${n} numbers ${names}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(value[i])) throw new ConfigError(`${field}[${i}]`, value[i], "use a finite number");
  }
}
