import { randomUUID } from "node:crypto";
import {
  ConfigError,
  type GenerateRequest,
  type GenerateResult,
  type PluginSpec,
  type RewardInput,
  type ScoreRequest,
  type ScoreResult,
  StateError,
  type Weights,
} from "@rlts/core";
import type { Redis } from "ioredis";
import { checkRedisUrl, connectRedis } from "./connection.js";
import { JobRunner } from "./job-runner.js";
import {
  type GptShape,
  type RewardJobData,
  type RewardJobResult,
  type RolloutJobData,
  type RolloutJobResult,
  type RunSpec,
  runKeys,
  runKeyTtlSeconds,
} from "./protocol.js";
import { createWeightStore, fileStoreDir, type WeightStore } from "./weight-store.js";

/** Options of {@link DistributedClient.connect} (the trainer config's `distributed:` block). */
export interface DistributedOptions {
  /** The Redis URL, e.g. `redis://127.0.0.1:6379`. */
  readonly redis: string;
  /** Where weights are published: `redis` (default) or `file:///dir` on a folder every machine shares. */
  readonly weights?: string;
  /**
   * Newest-version lag (in published weight versions) a rollout result may have and still be used; only
   * an off-policy objective accepts any (see {@link DistributedRolloutEngineOptions.acceptStale}). Default 0.
   */
  readonly maxStaleness?: number;
  /** Tries per job before it is dead-lettered. Default 3. */
  readonly attempts?: number;
  /** Distinct prompts per rollout job (each sampled `groupSize` times). Default 1. */
  readonly promptsPerJob?: number;
  /** Key prefix of the queues and run data; workers must use the same. Default `rlts`. */
  readonly prefix?: string;
  /** Wait between tries of a failed job, in ms. Default 200. */
  readonly backoffMs?: number;
  /** How often jobs whose events were missed are looked up, in ms. Default 1000. */
  readonly pollMs?: number;
}

/** Defaults of {@link DistributedOptions}. */
export const distributedDefaults = {
  weights: "redis",
  maxStaleness: 0,
  attempts: 3,
  promptsPerJob: 1,
  prefix: "rlts",
  backoffMs: 200,
  pollMs: 1000,
} as const;

type Resolved = Required<DistributedOptions>;

/** The options that are set (an `undefined` option takes its default rather than erasing it). */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveOptions(options: DistributedOptions): Resolved {
  checkRedisUrl(options.redis);
  const o = { ...distributedDefaults, ...definedOnly(options) } as Resolved;
  if (o.weights !== "redis") fileStoreDir(o.weights);
  const whole = (field: keyof Resolved, min: number) => {
    const v = o[field] as number;
    if (!Number.isInteger(v) || v < min)
      throw new ConfigError(`distributed.${field}`, v, `use a whole number ≥ ${min}`);
  };
  whole("maxStaleness", 0);
  whole("attempts", 1);
  whole("promptsPerJob", 1);
  whole("backoffMs", 0);
  whole("pollMs", 1);
  if (!/^[A-Za-z0-9_.-]+$/.test(o.prefix))
    throw new ConfigError("distributed.prefix", o.prefix, "use letters, digits, _ . - only");
  return o;
}

/** One collected job, for audits: which worker produced which job's result. */
export interface LedgerEntry {
  readonly queue: "rollouts" | "rewards";
  readonly id: string;
  /** `host:pid` of the worker whose result was used (empty when dead-lettered). */
  readonly worker: string;
  readonly ok: boolean;
}

/** What a run publishes besides weights (see {@link RunSpec}). */
export interface RunDescription {
  readonly model: GptShape;
  readonly reward: PluginSpec | readonly PluginSpec[];
  readonly plugins: readonly string[];
}

/** Scores of a batch from the reward workers, with the groups that were dead-lettered. */
export interface DistributedScores {
  /** One total per completion; `null` for every completion of a dead-lettered group (an abstention). */
  readonly total: (number | null)[];
  readonly components: Record<string, (number | null)[]>;
  /** Indices of the groups whose reward job failed every attempt. */
  readonly deadGroups: number[];
  /** The failure message of each dead group, in the same order. */
  readonly deadReasons: string[];
}

/**
 * The learner's side: publishes the run and its weight versions, and runs rollout and reward jobs on the
 * workers. One per run; {@link close} it at the end.
 */
export class DistributedClient {
  /** Every job collected so far, in collection order. */
  readonly ledger: LedgerEntry[] = [];
  private version = 0;
  private latest: Weights | undefined;
  private batch = 0;
  private described: RunDescription | undefined;

  private constructor(
    readonly options: Resolved,
    readonly runId: string,
    readonly redis: Redis,
    private readonly store: WeightStore,
    readonly rollouts: JobRunner<RolloutJobData, RolloutJobResult>,
    readonly rewards: JobRunner<RewardJobData, RewardJobResult>,
    private readonly log: (message: string) => void,
  ) {}

  /** Connects to Redis (waiting for it when it is down) and opens the two queues. */
  static async connect(
    options: DistributedOptions,
    context: { readonly log?: (message: string) => void; readonly runId?: string } = {},
  ): Promise<DistributedClient> {
    const o = resolveOptions(options);
    const log = context.log ?? ((m: string) => console.info(m));
    const redis = connectRedis(o.redis, (state, detail) =>
      log(
        state === "down"
          ? `Redis unreachable (${detail}); waiting for it to come back`
          : `Redis is back (${detail})`,
      ),
    );
    const runId = context.runId ?? randomUUID().slice(0, 8);
    const keys = runKeys(o.prefix, runId);
    const store = createWeightStore(o.weights, redis, keys);
    let client: DistributedClient | undefined;
    // Before re-adding a job Redis lost, make sure the run and the versions jobs name exist again.
    const republish = async () => client?.republish();
    const runnerOptions = { attempts: o.attempts, backoffMs: o.backoffMs, pollMs: o.pollMs };
    const rollouts = new JobRunner<RolloutJobData, RolloutJobResult>(
      "rollouts",
      redis,
      o.prefix,
      runnerOptions,
      republish,
    );
    const rewards = new JobRunner<RewardJobData, RewardJobResult>(
      "rewards",
      redis,
      o.prefix,
      runnerOptions,
      republish,
    );
    await Promise.all([rollouts.ready(), rewards.ready()]);
    client = new DistributedClient(o, runId, redis, store, rollouts, rewards, log);
    return client;
  }

  /** The newest published weights version (0 before the first). */
  get currentVersion(): number {
    return this.version;
  }

  /** Publishes the run's model shape, reward and plugin list for the workers. */
  async describeRun(description: RunDescription): Promise<void> {
    this.described = description;
    const spec: RunSpec = { runId: this.runId, weights: this.options.weights, ...description };
    await this.redis.set(
      runKeys(this.options.prefix, this.runId).spec,
      JSON.stringify(spec),
      "EX",
      runKeyTtlSeconds,
    );
  }

  /** Publishes new weights as the next version; keeps the newest maxStaleness + 2 versions. */
  async publishWeights(weights: Weights): Promise<number> {
    const version = this.version + 1;
    await this.store.publish(version, weights);
    this.version = version;
    this.latest = weights;
    const oldest = version - (this.options.maxStaleness + 2);
    if (oldest >= 1) await this.store.remove([oldest]);
    return version;
  }

  private async republish(): Promise<void> {
    if (this.described && !(await this.redis.exists(runKeys(this.options.prefix, this.runId).spec))) {
      this.log("Redis lost the run description; publishing it again");
      await this.describeRun(this.described);
    }
    if (this.latest && !(await this.store.has(this.version))) {
      this.log(`Redis lost weights version ${this.version}; publishing it again`);
      await this.store.publish(this.version, this.latest);
    }
  }

  /** A fresh batch number, so that job ids of different batches never collide. */
  nextBatch(): number {
    return ++this.batch;
  }

  /** Adds a collected job to the {@link ledger}. */
  record(queue: LedgerEntry["queue"], id: string, worker: string, ok: boolean): void {
    this.ledger.push({ queue, id, worker, ok });
  }

  /**
   * Scores a batch on the reward workers, one job per prompt's group (`groupIds` contiguous, prompt
   * major). A group whose job fails every attempt is dead-lettered: its completions abstain (`null`).
   */
  async scoreGroups(inputs: readonly RewardInput[], groupIds: ArrayLike<number>): Promise<DistributedScores> {
    const batch = this.nextBatch();
    const groups: { group: number; start: number; end: number }[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const last = groups[groups.length - 1];
      if (last && last.group === groupIds[i]) last.end = i + 1;
      else groups.push({ group: groupIds[i], start: i, end: i + 1 });
    }
    const jobs = groups.map((g, k) => ({
      id: `${this.runId}-s${batch}-${k}`,
      data: { runId: this.runId, inputs: inputs.slice(g.start, g.end) },
    }));
    const outcomes = await this.rewards.run(jobs);
    const total: (number | null)[] = new Array(inputs.length).fill(null);
    const components: Record<string, (number | null)[]> = {};
    const deadGroups: number[] = [];
    const deadReasons: string[] = [];
    outcomes.forEach((outcome, k) => {
      const g = groups[k];
      this.record("rewards", outcome.id, outcome.ok ? outcome.value.worker : "", outcome.ok);
      if (!outcome.ok) {
        deadGroups.push(k);
        deadReasons.push(outcome.reason);
        this.log(
          `reward job ${outcome.id} dead-lettered after ${outcome.attemptsMade} attempts (${outcome.reason}); its ${g.end - g.start} completions abstain`,
        );
        return;
      }
      const { value } = outcome;
      if (value.total.length !== g.end - g.start) {
        throw new StateError(
          `reward job ${outcome.id} returned ${value.total.length} scores for ${g.end - g.start} completions`,
        );
      }
      value.total.forEach((s, j) => {
        total[g.start + j] = s;
      });
      for (const [label, scores] of Object.entries(value.components)) {
        components[label] ??= new Array(inputs.length).fill(null);
        scores.forEach((s, j) => {
          components[label][g.start + j] = s;
        });
      }
    });
    return { total, components, deadGroups, deadReasons };
  }

  /** Closes the queues and the connection (the run's keys expire on their own). */
  async close(): Promise<void> {
    await this.rollouts.close();
    await this.rewards.close();
    this.redis.disconnect();
  }
}

/** The local engine a {@link DistributedRolloutEngine} scores with and keeps the weights of. */
export interface LocalScorer {
  score(request: ScoreRequest): Promise<ScoreResult>;
  setWeights(weights: Weights): void | Promise<void>;
  getWeights(): Weights | Promise<Weights>;
  dispose(): void | Promise<void>;
}

/** Options of {@link DistributedRolloutEngine.create}. */
export interface DistributedRolloutEngineOptions {
  /** G: completions per prompt (the trainer's `rollout.groupSize`); requests come prompt-major. */
  readonly groupSize: number;
  /**
   * Use results up to `maxStaleness` versions behind the newest (an off-policy objective such as
   * grpo-offpolicy, which importance-corrects against the sampler's own log-probs). Otherwise a stale
   * result is rejected and its job re-run, same seed, on the newest version. Default false.
   */
  readonly acceptStale?: boolean;
}

/** Per-generate figures (reset on each call). */
export interface RolloutStats {
  readonly jobs: number;
  readonly staleRejected: number;
  readonly staleAccepted: number;
  readonly maxStaleness: number;
}

/**
 * A rollout engine whose `generate` runs on rollout workers: the request's prompts are split into jobs of
 * `promptsPerJob` prompts, each carrying a seed drawn from the request's RNG (so the completions do not
 * depend on which worker ran which job) and the current weights version. `score` runs on the local engine
 * (the trainer's α and reference log-probs stay on the learner); `setWeights` publishes a new version.
 * Fits the trainer's `RolloutEngine` interface.
 */
export class DistributedRolloutEngine {
  readonly name = "distributed";
  /** Figures of the last `generate`. */
  stats: RolloutStats = { jobs: 0, staleRejected: 0, staleAccepted: 0, maxStaleness: 0 };
  /** log α of accepted stale samples, from the worker that sampled them (keyed by sequence). */
  private staleLogprobs = new Map<string, Float32Array>();

  private constructor(
    readonly client: DistributedClient,
    private readonly local: LocalScorer,
    private readonly options: Required<DistributedRolloutEngineOptions>,
  ) {}

  /** Wraps `local` and publishes its current weights as the first version. */
  static async create(
    client: DistributedClient,
    local: LocalScorer,
    options: DistributedRolloutEngineOptions,
  ): Promise<DistributedRolloutEngine> {
    if (!Number.isInteger(options.groupSize) || options.groupSize < 1)
      throw new ConfigError("rollout.groupSize", options.groupSize, "use a whole number ≥ 1");
    const engine = new DistributedRolloutEngine(client, local, { acceptStale: false, ...options });
    await client.publishWeights(await local.getWeights());
    return engine;
  }

  async setWeights(weights: Weights): Promise<void> {
    await this.local.setWeights(weights);
    await this.client.publishWeights(weights);
  }

  getWeights(): Weights | Promise<Weights> {
    return this.local.getWeights();
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    const result = await this.local.score(request);
    if (this.staleLogprobs.size === 0) return result;
    // A stale sample's α is the sampler's own log-prob, not the newer local weights'.
    const logprobs = request.sequences.map(
      (s, i) => this.staleLogprobs.get(sequenceKey(s, request.start[i])) ?? result.logprobs[i],
    );
    return { ...result, logprobs };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const G = this.options.groupSize;
    const { prompts } = request;
    if (prompts.length % G !== 0) {
      throw new ConfigError(
        "rollout.groupSize",
        G,
        `a request of ${prompts.length} prompts is not whole groups of ${G}`,
      );
    }
    const distinct: Int32Array[] = [];
    for (let p = 0; p < prompts.length; p += G) {
      for (let g = 1; g < G; g++) {
        if (!equalTokens(prompts[p], prompts[p + g]))
          throw new ConfigError(
            "prompts",
            p + g,
            `requests must repeat each prompt ${G} times in a row (prompt major)`,
          );
      }
      distinct.push(prompts[p]);
    }
    const per = this.client.options.promptsPerJob;
    const batch = this.client.nextBatch();
    const runId = this.client.runId;
    type Slot = { readonly id: string; data: RolloutJobData; readonly first: number };
    const slots: Slot[] = [];
    for (let a = 0; a < distinct.length; a += per) {
      // One seed per job from the trainer's RNG: completions do not depend on which worker ran the job.
      const seed = Math.floor(request.rng.next() * 2 ** 53);
      slots.push({
        id: `${runId}-g${batch}-${slots.length}`,
        first: a,
        data: {
          runId,
          version: this.client.currentVersion,
          seed,
          prompts: distinct.slice(a, a + per).map((p) => Array.from(p)),
          groupSize: G,
          maxNewTokens: request.maxNewTokens,
          temperature: request.temperature ?? 1,
          topK: request.topK ?? 0,
          topP: request.topP ?? 1,
          stopTokens: [...(request.stopTokens ?? [])],
        },
      });
    }
    const completions: Int32Array[] = new Array(prompts.length);
    const logprobs: Float32Array[] = new Array(prompts.length);
    const stopped: boolean[] = new Array(prompts.length);
    let staleRejected = 0;
    let staleAccepted = 0;
    let maxSeen = 0;
    this.staleLogprobs = new Map();
    let pending = slots;
    let round = 0;
    while (pending.length) {
      const outcomes = await this.client.rollouts.run(
        pending.map((s) => ({ id: s.id + (round ? `-r${round}` : ""), data: s.data })),
      );
      const again: Slot[] = [];
      outcomes.forEach((outcome, k) => {
        const slot = pending[k];
        this.client.record("rollouts", outcome.id, outcome.ok ? outcome.value.worker : "", outcome.ok);
        if (!outcome.ok) {
          throw new StateError(
            `rollout job ${outcome.id} failed ${outcome.attemptsMade} times (${outcome.reason}); completions cannot be made up, so the step stops (see the worker's log)`,
          );
        }
        const r = outcome.value;
        const n = slot.data.prompts.length * G;
        if (r.completions.length !== n || r.logprobs.length !== n || r.stopped.length !== n) {
          throw new StateError(
            `rollout job ${outcome.id} returned ${r.completions.length} completions for ${n}`,
          );
        }
        // Staleness: versions published since the one the sample was drawn with.
        const staleness = this.client.currentVersion - r.version;
        const allowed = this.options.acceptStale ? this.client.options.maxStaleness : 0;
        if (staleness > allowed) {
          staleRejected++;
          again.push({ ...slot, data: { ...slot.data, version: this.client.currentVersion } });
          return;
        }
        if (staleness > 0) staleAccepted++;
        maxSeen = Math.max(maxSeen, staleness);
        for (let j = 0; j < n; j++) {
          const i = slot.first * G + j;
          completions[i] = Int32Array.from(r.completions[j]);
          logprobs[i] = Float32Array.from(r.logprobs[j]);
          stopped[i] = r.stopped[j];
          if (staleness > 0) {
            const seq = new Int32Array(prompts[i].length + completions[i].length);
            seq.set(prompts[i]);
            seq.set(completions[i], prompts[i].length);
            this.staleLogprobs.set(sequenceKey(seq, prompts[i].length), logprobs[i]);
          }
        }
      });
      pending = again;
      round++;
    }
    this.stats = { jobs: slots.length, staleRejected, staleAccepted, maxStaleness: maxSeen };
    return { completions, logprobs, stopped };
  }

  /** Disposes the local engine (the client is closed by its owner). */
  dispose(): void | Promise<void> {
    return this.local.dispose();
  }
}

function equalTokens(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sequenceKey(sequence: Int32Array, start: number): string {
  return `${start}:${sequence.join(",")}`;
}
