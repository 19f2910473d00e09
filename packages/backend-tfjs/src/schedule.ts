import { assertInRange, assertInteger, assertOneOf, ConfigError } from "@rlts/core";

/** How the learning rate decays after warmup. */
export type LrDecay = "constant" | "linear" | "cosine";

/** Options of {@link learningRateAt}: linear warmup, then constant, linear or cosine decay. */
export interface LrScheduleOptions {
  /** Peak learning rate. Default 3e-4. */
  readonly lr?: number;
  /** Steps of linear warmup from lr/warmupSteps to lr. Default 0. */
  readonly warmupSteps?: number;
  /** Decay after warmup. Default "constant". */
  readonly decay?: LrDecay;
  /** Step at which decay reaches its floor (needed for "linear" and "cosine"). Default 0. */
  readonly totalSteps?: number;
  /** Floor of the decay as a fraction of lr. Default 0 (linear) — nanoGPT uses 0.1 for cosine. */
  readonly minLrRatio?: number;
}

/** Defaults of {@link LrScheduleOptions}. */
export const lrScheduleDefaults = {
  lr: 3e-4,
  warmupSteps: 0,
  decay: "constant" as LrDecay,
  totalSteps: 0,
  minLrRatio: 0,
} as const;

/** Checks schedule options, naming `field.<option>` in errors; returns them with defaults filled in. */
export function resolveSchedule(
  options: LrScheduleOptions = {},
  field = "optimizer",
): Required<LrScheduleOptions> {
  const o = { ...lrScheduleDefaults, ...stripUndefined(options) };
  assertInRange(`${field}.lr`, o.lr, 0, 10);
  assertInteger(`${field}.warmupSteps`, o.warmupSteps, 0);
  assertOneOf(`${field}.decay`, o.decay, ["constant", "linear", "cosine"] as const);
  assertInteger(`${field}.totalSteps`, o.totalSteps, 0);
  assertInRange(`${field}.minLrRatio`, o.minLrRatio, 0, 1);
  if (o.decay !== "constant" && o.totalSteps <= o.warmupSteps) {
    throw new ConfigError(
      `${field}.totalSteps`,
      o.totalSteps,
      `a "${o.decay}" decay needs totalSteps greater than warmupSteps (${o.warmupSteps})`,
    );
  }
  return o;
}

/**
 * The learning rate for optimiser step `step` (0 for the first step). Warmup: lr·(step+1)/warmupSteps
 * (nanoGPT `get_lr`); then, with progress p = (step − warmup)/(total − warmup) clipped to [0, 1],
 * linear: lr·(1 − (1 − r)·p) (HF `get_linear_schedule_with_warmup` with floor r·lr) or
 * cosine: lr·(r + (1 − r)·½(1 + cos πp)) (Loshchilov & Hutter 2017, SGDR eq. 5; nanoGPT).
 */
export function learningRateAt(schedule: Required<LrScheduleOptions>, step: number): number {
  const { lr, warmupSteps, decay, totalSteps, minLrRatio } = schedule;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (decay === "constant") return lr;
  const p = Math.min(1, Math.max(0, (step - warmupSteps) / (totalSteps - warmupSteps)));
  if (decay === "linear") return lr * (1 - (1 - minLrRatio) * p);
  return lr * (minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** Drops keys whose value is undefined so that spreading over defaults keeps the defaults. */
export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
