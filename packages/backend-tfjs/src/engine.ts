import {
  assertOneOf,
  ConfigError,
  type InferenceEngine,
  type InferencePolicy,
  type LanguageModelSpec,
  StateError,
  type Weights,
} from "@rlts/core";
import type { GptConfig } from "@rlts/lm";
import * as tf from "@tensorflow/tfjs-core";
import { GptModel } from "./gpt.js";
import { registerGradients } from "./gradients.js";

/** Which tfjs backend to run on; "auto" tries them fastest first. */
export type EnginePreference = "auto" | "tfjs-node-gpu" | "tfjs-node" | "wasm" | "cpu";

/** Options of {@link selectEngine}. */
export interface SelectEngineOptions {
  /** Force one backend, or "auto" (tfjs-node-gpu → tfjs-node → wasm → cpu). Default "auto". */
  readonly prefer?: EnginePreference;
  /** Where the one-line choice is logged. Default `console.info`. */
  readonly log?: (message: string) => void;
}

/** Defaults of {@link SelectEngineOptions}. */
export const selectEngineDefaults = { prefer: "auto" as EnginePreference } as const;

const order = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
type Candidate = (typeof order)[number];

/** What each candidate is called as a tfjs backend and as an engine device. */
const backends: Record<Candidate, { backend: string; device: string }> = {
  "tfjs-node-gpu": { backend: "tensorflow", device: "tensorflow-node-gpu" },
  "tfjs-node": { backend: "tensorflow", device: "tensorflow-node" },
  wasm: { backend: "wasm", device: "wasm" },
  cpu: { backend: "cpu", device: "cpu" },
};

// Package names held in variables so bundlers and tsc do not try to resolve the optional peers.
const nodePackages: Record<"tfjs-node-gpu" | "tfjs-node", string> = {
  "tfjs-node-gpu": "@tensorflow/tfjs-node-gpu",
  "tfjs-node": "@tensorflow/tfjs-node",
};

/** Why a candidate was skipped, for the log line and errors. */
async function tryCandidate(candidate: Candidate): Promise<string | undefined> {
  try {
    if (candidate === "tfjs-node-gpu" || candidate === "tfjs-node") {
      const name = nodePackages[candidate];
      try {
        await import(name);
      } catch {
        return "not installed";
      }
    } else if (candidate === "wasm") {
      await import("@tensorflow/tfjs-backend-wasm");
    } else {
      await import("@tensorflow/tfjs-backend-cpu");
    }
    const ok = await tf.setBackend(backends[candidate].backend);
    if (!ok) return "failed to initialise";
    await tf.ready();
    return undefined;
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

const logged = new Set<string>();

/** Milliseconds `fn` took by the wall clock or by this process's CPU time (user + system). */
export function timeMs(fn: () => void, clock: "wall" | "cpu" = "wall"): number {
  if (clock === "cpu") {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  }
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * The tfjs engine: which backend runs the maths. tfjs keeps one active backend per process, so every
 * model created after {@link TfjsEngine.ready} resolves runs on it. Build it with {@link selectEngine}
 * (already started) or from the registry (`engine: { name: "tfjs", prefer: "auto" }`, then
 * `await engine.ready()`).
 */
export class TfjsEngine implements InferenceEngine {
  /** The registry name. */
  readonly name = "tfjs";
  private chosen: { device: string; reason: string } | undefined;
  private starting: Promise<this> | undefined;
  private disposed = false;
  private readonly owned = new Set<GptModel>();
  private readonly prefer: EnginePreference;
  private readonly log: (message: string) => void;

  constructor(options: SelectEngineOptions = {}) {
    registerGradients();
    const prefer = options.prefer ?? selectEngineDefaults.prefer;
    assertOneOf("engine.prefer", prefer, ["auto", ...order] as const);
    this.prefer = prefer;
    this.log = options.log ?? ((message: string) => console.info(message));
  }

  /** Selects and initialises the backend (once); resolves to this engine. */
  ready(): Promise<this> {
    this.starting ??= this.start();
    return this.starting;
  }

  /** "tensorflow-node-gpu", "tensorflow-node", "wasm" or "cpu". Throws until {@link ready} resolved. */
  get device(): string {
    if (!this.chosen) throw new StateError("tfjs engine: await engine.ready() before reading engine.device");
    return this.chosen.device;
  }

  /** Why this backend was chosen (the logged explanation). */
  get reason(): string {
    if (!this.chosen) throw new StateError("tfjs engine: await engine.ready() before reading engine.reason");
    return this.chosen.reason;
  }

  /**
   * This engine's float32 matmul throughput for C[m, n] = A[m, k]·B[k, n] in GFLOP/s (2·m·k·n flops,
   * best of `reps` timed runs after one warm-up): the yardstick for a model's achieved throughput.
   * `clock: "cpu"` times with this process's CPU time instead of the wall clock, which on a shared
   * machine measures the work rather than the share of the cores other processes left; it is only
   * meaningful for single-threaded backends (wasm, cpu).
   */
  matmulGflops(m: number, k: number, n: number, reps = 3, clock: "wall" | "cpu" = "wall"): number {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const run = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    run();
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < reps; r++) best = Math.min(best, timeMs(run, clock));
    a.dispose();
    b.dispose();
    return (2 * m * k * n) / best / 1e6;
  }

  /**
   * An inference policy for rollouts and reference scoring (the `InferenceEngine` capability): a
   * separate `GptModel` (`architecture: "gpt"`) holding `weights`, so an off-policy sampler can lag the
   * trained policy. Freed by its own `dispose()` or by this engine's.
   */
  async createInferencePolicy(model: LanguageModelSpec, weights: Weights): Promise<InferencePolicy> {
    if (this.disposed) throw new StateError("tfjs engine: used after dispose()");
    if (model.architecture !== "gpt") {
      throw new ConfigError("model.architecture", model.architecture, 'the tfjs engine serves "gpt" models');
    }
    await this.ready();
    const gpt = new GptModel({ ...(model.config as unknown as GptConfig) });
    try {
      gpt.setWeights(weights, "weights");
    } catch (error) {
      gpt.dispose();
      throw error;
    }
    this.owned.add(gpt);
    return gpt;
  }

  /** tfjs memory counters (numTensors, numBytes), for leak checks. */
  memory(): tf.MemoryInfo {
    return tf.memory();
  }

  /**
   * Releases the engine. Models own their variables and free them in their own `dispose()`; the
   * backend itself stays registered because tfjs backends are process-wide.
   */
  dispose(): void {
    this.disposed = true;
    for (const model of this.owned) if (!model.isDisposed) model.dispose();
    this.owned.clear();
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private async start(): Promise<this> {
    const { prefer } = this;
    const candidates: readonly Candidate[] = prefer === "auto" ? order : [prefer];
    const skipped: { candidate: Candidate; why: string }[] = [];
    for (const candidate of candidates) {
      const why = await tryCandidate(candidate);
      if (why !== undefined) {
        skipped.push({ candidate, why });
        continue;
      }
      const reason =
        prefer !== "auto"
          ? "forced by config"
          : skipped.length === 0
            ? "first choice"
            : describeSkipped(skipped);
      const message = `tfjs engine: ${candidate} (${reason})`;
      if (!logged.has(message)) {
        logged.add(message);
        this.log(message);
      }
      this.chosen = { device: backends[candidate].device, reason };
      return this;
    }
    if (prefer !== "auto") {
      const pkg =
        prefer === "wasm" || prefer === "cpu"
          ? `@tensorflow/tfjs-backend-${prefer}`
          : `@tensorflow/${prefer}`;
      throw new ConfigError(
        "engine.prefer",
        prefer,
        `${prefer} ${skipped[0]?.why}; install ${pkg} or use "auto"`,
      );
    }
    throw new ConfigError(
      "engine.prefer",
      prefer,
      `no tfjs backend could start (${describeSkipped(skipped)})`,
    );
  }
}

/**
 * Chooses and initialises the tfjs backend: with `prefer: "auto"` it tries tfjs-node-gpu, tfjs-node
 * (optional peer dependencies, imported dynamically), wasm, then cpu, and logs once which one it took
 * and why, e.g. `tfjs engine: wasm (tfjs-node-gpu, tfjs-node not installed)`. A forced backend that
 * cannot start throws a ConfigError naming `engine.prefer`.
 */
export async function selectEngine(options: SelectEngineOptions = {}): Promise<TfjsEngine> {
  return new TfjsEngine(options).ready();
}

/** "tfjs-node-gpu, tfjs-node not installed" — candidates grouped by the reason they were skipped. */
function describeSkipped(skipped: readonly { candidate: Candidate; why: string }[]): string {
  const byWhy = new Map<string, Candidate[]>();
  for (const { candidate, why } of skipped) byWhy.set(why, [...(byWhy.get(why) ?? []), candidate]);
  return [...byWhy].map(([why, names]) => `${names.join(", ")} ${why}`).join("; ");
}
