import { createRng, type Rng } from "@rlts/core";
import { describe, expect, it } from "vitest";

/**
 * What the suite needs of a space. `@rlts/env`'s `Space` satisfies it; declared here so this package
 * does not depend on `@rlts/env`.
 */
export interface ConformanceSpace {
  sample(rng: Rng): unknown;
  contains(value: unknown): boolean;
}

/** What the suite needs of an environment (Gymnasium's contract). `@rlts/env`'s `Env` satisfies it. */
export interface ConformanceEnv {
  readonly observationSpace: ConformanceSpace;
  readonly actionSpace: ConformanceSpace;
  reset(options?: { readonly seed?: number }): { readonly obs: unknown; readonly info: object };
  step(action: unknown): {
    readonly obs: unknown;
    readonly reward: number;
    readonly terminated: boolean;
    readonly truncated: boolean;
    readonly info: object;
  };
}

/** How {@link describeEnv} exercises one environment. */
export interface EnvConformanceOptions {
  /** Builds a fresh environment (called for every check). */
  readonly create: () => ConformanceEnv;
  /** The time limit `create()` applies, if any: episodes must be truncated exactly there. */
  readonly maxEpisodeSteps?: number;
  /** Random-action episodes to run per check. Default 3. */
  readonly episodes?: number;
  /** Seed of the environment and of the random actions. Default 0. */
  readonly seed?: number;
  /** Give up on an episode after this many steps (for envs without a time limit). Default 10 000. */
  readonly stepCap?: number;
  /**
   * Actions outside this env's action space (e.g. `2` for `Discrete(2)`); the suite adds values outside
   * every space (`NaN`, `undefined`, `null`, a string, an object).
   */
  readonly invalidActions?: readonly unknown[];
  /** The reset draws no random numbers, so two seeds may give the same first observation. Default false. */
  readonly deterministicReset?: boolean;
}

interface Transition {
  readonly obs: unknown;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
}

/** Plain numbers of an observation, for equality checks of typed arrays, arrays and scalars. */
function flat(value: unknown): unknown {
  if (typeof value === "object" && value !== null && "length" in value)
    return Array.from(value as ArrayLike<unknown>);
  return value;
}

/** Runs one random-action episode from `reset(resetOptions)`; returns the first observation and the steps. */
function runEpisode(
  env: ConformanceEnv,
  actionRng: Rng,
  cap: number,
  resetOptions?: { seed?: number },
): { first: unknown; steps: Transition[] } {
  const { obs: first } = env.reset(resetOptions);
  const steps: Transition[] = [];
  for (let t = 0; t < cap; t++) {
    const r = env.step(env.actionSpace.sample(actionRng));
    steps.push({ obs: flat(r.obs), reward: r.reward, terminated: r.terminated, truncated: r.truncated });
    if (r.terminated || r.truncated) break;
  }
  return { first: flat(first), steps };
}

/** One check of the suite: a name and a body that throws when the env breaks the contract. */
export interface EnvConformanceCheck {
  readonly name: string;
  readonly run: (options: EnvConformanceOptions) => void;
}

const universallyInvalid: readonly unknown[] = [Number.NaN, undefined, null, "0", {}];

/**
 * The checks {@link describeEnv} runs, exported so a test can also show that a broken environment
 * fails them.
 */
export const envConformanceChecks: readonly EnvConformanceCheck[] = [
  {
    name: "reset returns an observation inside the observation space and an info object",
    run(o) {
      const env = o.create();
      const { obs, info } = env.reset({ seed: o.seed ?? 0 });
      expect(env.observationSpace.contains(obs), `reset obs ${JSON.stringify(flat(obs))}`).toBe(true);
      expect(typeof info).toBe("object");
    },
  },
  {
    name: "the action space contains its own samples",
    run(o) {
      const env = o.create();
      const rng = createRng(o.seed ?? 0);
      for (let i = 0; i < 200; i++) expect(env.actionSpace.contains(env.actionSpace.sample(rng))).toBe(true);
    },
  },
  {
    name: "steps return observations in the space, finite rewards and boolean flags",
    run(o) {
      const env = o.create();
      const rng = createRng((o.seed ?? 0) + 1);
      const cap = o.stepCap ?? 10_000;
      for (let e = 0; e < (o.episodes ?? 3); e++) {
        env.reset(e === 0 ? { seed: o.seed ?? 0 } : undefined);
        for (let t = 0; t < cap; t++) {
          const r = env.step(env.actionSpace.sample(rng));
          expect(env.observationSpace.contains(r.obs), `step obs ${JSON.stringify(flat(r.obs))}`).toBe(true);
          expect(typeof r.reward).toBe("number");
          expect(Number.isFinite(r.reward), `reward ${r.reward}`).toBe(true);
          expect(typeof r.terminated).toBe("boolean");
          expect(typeof r.truncated).toBe("boolean");
          expect(typeof r.info).toBe("object");
          if (r.terminated || r.truncated) break;
        }
      }
    },
  },
  {
    name: "the same seed and actions give the same episode; another seed another start",
    run(o) {
      const seed = o.seed ?? 0;
      const cap = o.stepCap ?? 10_000;
      const a = runEpisode(o.create(), createRng(99), cap, { seed });
      const b = runEpisode(o.create(), createRng(99), cap, { seed });
      expect(b.first).toEqual(a.first);
      expect(b.steps).toEqual(a.steps);
      if (!o.deterministicReset) {
        const c = runEpisode(o.create(), createRng(99), 1, { seed: seed + 1 });
        expect(c.first).not.toEqual(a.first);
      }
    },
  },
  {
    name: "an unseeded reset continues the env's stream: reproducible, and not a re-seed",
    run(o) {
      const seed = o.seed ?? 0;
      const cap = o.stepCap ?? 10_000;
      const firsts = () => {
        const env = o.create();
        const rng = createRng(7);
        const one = runEpisode(env, rng, cap, { seed });
        const two = runEpisode(env, rng, cap);
        return [one.first, two.first];
      };
      const [a1, a2] = firsts();
      const [b1, b2] = firsts();
      expect(b1).toEqual(a1);
      expect(b2).toEqual(a2);
      if (!o.deterministicReset) expect(a2).not.toEqual(a1);
    },
  },
  {
    name: "episodes end with terminated or truncated, and truncation happens exactly at the time limit",
    run(o) {
      const env = o.create();
      const rng = createRng((o.seed ?? 0) + 2);
      const limit = o.maxEpisodeSteps;
      const cap = limit ?? o.stepCap ?? 10_000;
      for (let e = 0; e < (o.episodes ?? 3); e++) {
        env.reset(e === 0 ? { seed: o.seed ?? 0 } : undefined);
        let length = 0;
        let last: Transition | undefined;
        while (length < cap) {
          last = env.step(env.actionSpace.sample(rng));
          length++;
          if (last.terminated || last.truncated) break;
        }
        if (limit === undefined) continue;
        expect(last, "the episode took no step").toBeDefined();
        expect(last!.terminated || last!.truncated, `episode still running after ${limit} steps`).toBe(true);
        if (last!.truncated) expect(length).toBe(limit);
        if (length === limit) expect(last!.terminated || last!.truncated).toBe(true);
      }
    },
  },
  {
    name: "stepping before the first reset throws",
    run(o) {
      const env = o.create();
      const action = env.actionSpace.sample(createRng(0));
      expect(() => env.step(action)).toThrow(/reset/i);
    },
  },
  {
    name: "stepping after the episode ended throws until reset, which starts a new episode",
    run(o) {
      const env = o.create();
      const rng = createRng(3);
      const { steps } = runEpisode(env, rng, o.maxEpisodeSteps ?? o.stepCap ?? 10_000, { seed: o.seed ?? 0 });
      const end = steps[steps.length - 1];
      if (!end.terminated && !end.truncated) return; // no end within the cap: nothing to check
      expect(() => env.step(env.actionSpace.sample(rng))).toThrow(/reset/i);
      expect(() => env.step(env.actionSpace.sample(rng))).toThrow(/reset/i);
      env.reset();
      const r = env.step(env.actionSpace.sample(rng));
      expect(typeof r.reward).toBe("number");
    },
  },
  {
    name: "actions outside the action space are rejected with an error, and the env stays usable",
    run(o) {
      const env = o.create();
      env.reset({ seed: o.seed ?? 0 });
      for (const bad of [...universallyInvalid, ...(o.invalidActions ?? [])]) {
        expect(env.actionSpace.contains(bad), `contains(${String(bad)})`).toBe(false);
        expect(() => env.step(bad), `step(${String(bad)})`).toThrow();
      }
      const r = env.step(env.actionSpace.sample(createRng(0)));
      expect(env.observationSpace.contains(r.obs)).toBe(true);
    },
  },
];

/**
 * The contract every environment meets (Gymnasium's, with errors where Gymnasium only warns): spaces
 * are respected, seeding is reproducible and unseeded resets continue the stream, episodes end with
 * correct `terminated`/`truncated` flags (truncation exactly at the time limit), stepping before reset
 * or after the end throws, and actions outside the space are rejected.
 */
export function describeEnv(label: string, options: EnvConformanceOptions): void {
  describe(`Env conformance: ${label}`, () => {
    for (const check of envConformanceChecks) it(check.name, () => check.run(options));
  });
}
