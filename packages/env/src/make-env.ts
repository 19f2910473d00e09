import { ConfigError, getRegistry, PluginNotFoundError, type PluginOptions } from "@rlts/core";
import type { DependencyContainer } from "tsyringe";
import { AcrobotEnv } from "./acrobot.js";
import { CartPoleEnv } from "./cartpole.js";
import { ClipAction } from "./clip-action.js";
import type { Env, EnvSpec } from "./env.js";
import { MountainCarEnv } from "./mountain-car.js";
import { NormalizeObservation, type NormalizeObservationOptions } from "./normalize-observation.js";
import { NormalizeReward, type NormalizeRewardOptions } from "./normalize-reward.js";
import { PendulumEnv } from "./pendulum.js";
import { RecordEpisodeStatistics } from "./record-episode-statistics.js";
import { TimeLimit } from "./time-limit.js";
import { SyncVecEnv } from "./vec-env.js";

/** Wrapper options of {@link makeEnv}; the remaining options go to the environment's constructor. */
export interface MakeEnvOptions {
  /** Overrides the id's time limit (CartPole-v1 500, Acrobot-v1 500, MountainCar-v0 200, Pendulum-v1 200). */
  readonly maxEpisodeSteps?: number;
  /** Adds `info.episode = { r, l, t }` at each episode end. Default true. */
  readonly recordEpisodeStatistics?: boolean;
  /** Clips continuous actions into the action box (Box action spaces only). Default false. */
  readonly clipAction?: boolean;
  /** Normalises observations with running statistics. Default false. */
  readonly normalizeObservation?: boolean | NormalizeObservationOptions;
  /** Scales rewards by the running std of the discounted return. Default false. */
  readonly normalizeReward?: boolean | NormalizeRewardOptions;
  /** Environment constructor options, e.g. `g` for Pendulum-v1 or `kinematicsIntegrator` for CartPole-v1. */
  readonly [envOption: string]: unknown;
}

const defaults = {
  recordEpisodeStatistics: true,
  clipAction: false,
  normalizeObservation: false,
  normalizeReward: false,
} as const;

const wrapperKeys = new Set([
  "maxEpisodeSteps",
  "recordEpisodeStatistics",
  "clipAction",
  "normalizeObservation",
  "normalizeReward",
]);

/** A registered environment id: its spec, its constructor options and how to build it. */
interface EnvEntry {
  readonly spec: EnvSpec;
  readonly description: string;
  readonly envOptions: readonly string[];
  readonly create: (options: Record<string, unknown>) => Env;
}

// Ids, time limits and reward thresholds of Gymnasium gymnasium/envs/__init__.py.
const entries: Readonly<Record<string, EnvEntry>> = {
  "CartPole-v1": {
    spec: { id: "CartPole-v1", maxEpisodeSteps: 500, rewardThreshold: 475 },
    description: "balance a pole on a cart (Discrete(2), 500 steps)",
    envOptions: ["kinematicsIntegrator"],
    create: (o) => new CartPoleEnv(o),
  },
  "Acrobot-v1": {
    spec: { id: "Acrobot-v1", maxEpisodeSteps: 500, rewardThreshold: -100 },
    description: "swing a two-link chain up (Discrete(3), RK4, 500 steps)",
    envOptions: ["bookOrNips"],
    create: (o) => new AcrobotEnv(o),
  },
  "MountainCar-v0": {
    spec: { id: "MountainCar-v0", maxEpisodeSteps: 200, rewardThreshold: -110 },
    description: "drive an underpowered car up a hill (Discrete(3), 200 steps)",
    envOptions: ["goalVelocity"],
    create: (o) => new MountainCarEnv(o),
  },
  "Pendulum-v1": {
    spec: { id: "Pendulum-v1", maxEpisodeSteps: 200 },
    description: "swing a pendulum up with a continuous torque (Box([-2], [2]), 200 steps)",
    envOptions: ["g"],
    create: (o) => new PendulumEnv(o),
  },
};

/** The environment ids `register` adds, in a stable order. */
export const classicControlIds: readonly string[] = Object.keys(entries);

function wrapperOption<T extends object>(field: string, value: unknown): T | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {} as T;
  if (typeof value === "object" && value !== null) return value as T;
  throw new ConfigError(field, value, "use true, false or an options object");
}

/**
 * Builds a registered classic-control environment with its standard wrappers, innermost first:
 * `TimeLimit` (the id's episode limit) → `RecordEpisodeStatistics` → `ClipAction` →
 * `NormalizeObservation` → `NormalizeReward` (CleanRL's order, so episode statistics stay in raw reward
 * units). Unknown options are an error naming the option.
 */
export function buildEnv(id: string, options: PluginOptions = {}): Env {
  const entry = entries[id];
  if (!entry) {
    throw new ConfigError(
      "env.name",
      id,
      `use one of ${classicControlIds.map((i) => JSON.stringify(i)).join(", ")}`,
    );
  }
  const envOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (wrapperKeys.has(key)) continue;
    if (!entry.envOptions.includes(key)) {
      throw new ConfigError(
        `env.${key}`,
        value,
        `${id} takes ${[...entry.envOptions, ...wrapperKeys].join(", ")}; remove or rename this option`,
      );
    }
    envOptions[key] = value;
  }
  const base = entry.create(envOptions) as CartPoleEnv | AcrobotEnv | MountainCarEnv | PendulumEnv;
  base.spec = entry.spec;
  const maxEpisodeSteps = options.maxEpisodeSteps ?? entry.spec.maxEpisodeSteps;
  let env: Env = new TimeLimit(base as Env, maxEpisodeSteps as number);
  if ((options.recordEpisodeStatistics ?? defaults.recordEpisodeStatistics) !== false) {
    env = new RecordEpisodeStatistics(env);
  }
  if ((options.clipAction ?? defaults.clipAction) === true) {
    env = new ClipAction(env as Env<unknown, ArrayLike<number>>) as Env;
  }
  const normObs = wrapperOption<NormalizeObservationOptions>(
    "env.normalizeObservation",
    options.normalizeObservation ?? defaults.normalizeObservation,
  );
  if (normObs) env = new NormalizeObservation(env as Env<ArrayLike<number>, unknown>, normObs) as Env;
  const normReward = wrapperOption<NormalizeRewardOptions>(
    "env.normalizeReward",
    options.normalizeReward ?? defaults.normalizeReward,
  );
  if (normReward) env = new NormalizeReward(env, normReward);
  return env;
}

/** Adds the classic-control ids (`CartPole-v1`, `Acrobot-v1`, `MountainCar-v0`, `Pendulum-v1`) as `env` plugins. */
export function registerClassicControl(container: DependencyContainer): void {
  const registry = getRegistry(container);
  for (const id of classicControlIds) {
    registry.register("env", id, (options) => buildEnv(id, options), {
      description: entries[id].description,
    });
  }
}

/** Checks that a built `env` plugin is an {@link Env} (the registry only promises an object). */
export function isEnv(value: unknown): value is Env {
  const v = value as Partial<Env> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.reset === "function" &&
    typeof v.step === "function" &&
    v.actionSpace !== undefined &&
    v.observationSpace !== undefined
  );
}

/**
 * Builds the environment `id` through a plugin registry, Gymnasium's `gym.make`. With `container`, it
 * uses that run's registry, so third-party envs registered there are found too; without it, only this
 * package's classic-control ids, built directly (no dependency injection, no reflect-metadata).
 * Unknown ids throw a `PluginNotFoundError` listing the known ones.
 */
export function makeEnv(id: string, options: MakeEnvOptions = {}, container?: DependencyContainer): Env {
  if (!container) {
    // The built-in ids need no dependency injection (nor the reflect-metadata polyfill tsyringe asks for).
    if (!Object.hasOwn(entries, id)) throw new PluginNotFoundError("env", id, [...classicControlIds].sort());
    return buildEnv(id, options);
  }
  const built = getRegistry(container).create("env", id, options, container);
  if (!isEnv(built)) {
    throw new ConfigError(
      "env.name",
      id,
      "this env plugin is not a step/reset environment (is it a prompt task?)",
    );
  }
  return built;
}

/**
 * `numEnvs` copies of `makeEnv(id, options)` in a {@link SyncVecEnv} (same-step autoreset). Reset it
 * with `{ seed }` to seed env `e` with `seed + e`.
 */
export function makeVecEnv(
  id: string,
  numEnvs: number,
  options: MakeEnvOptions = {},
  container?: DependencyContainer,
): SyncVecEnv {
  return new SyncVecEnv(() => makeEnv(id, options, container), numEnvs);
}
