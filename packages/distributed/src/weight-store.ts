import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, StateError, type Weights } from "@rlts/core";
import type { Redis } from "ioredis";
import { type runKeys, runKeyTtlSeconds } from "./protocol.js";
import { decodeWeights, encodeWeights } from "./weights-codec.js";

/**
 * Versioned weights of one run. The learner publishes each version; workers fetch the version a job
 * names. Redis always maps version → content; where the bytes live depends on the store.
 */
export interface WeightStore {
  /** `redis` or the `file://` URL. */
  readonly location: string;
  publish(version: number, weights: Weights): Promise<void>;
  /** Whether a version is still available (a Redis restart without persistence loses it). */
  has(version: number): Promise<boolean>;
  fetch(version: number): Promise<Weights>;
  /** Deletes the given versions (the learner keeps the newest few). */
  remove(versions: readonly number[]): Promise<void>;
}

/** Weights stored as one Redis string per version (simple; right for models up to a few hundred MB). */
export class RedisWeightStore implements WeightStore {
  readonly location = "redis";

  constructor(
    private readonly redis: Redis,
    private readonly keys: ReturnType<typeof runKeys>,
  ) {}

  async publish(version: number, weights: Weights): Promise<void> {
    await this.redis.set(this.keys.weights(version), encodeWeights(weights), "EX", runKeyTtlSeconds);
  }

  async has(version: number): Promise<boolean> {
    return (await this.redis.exists(this.keys.weights(version))) === 1;
  }

  async fetch(version: number): Promise<Weights> {
    const bytes = await this.redis.getBuffer(this.keys.weights(version));
    if (!bytes) throw missing(version, this.location);
    return decodeWeights(bytes, `weights version ${version}`);
  }

  async remove(versions: readonly number[]): Promise<void> {
    if (versions.length) await this.redis.del(...versions.map((v) => this.keys.weights(v)));
  }
}

/**
 * Weights as content-addressed files (`<sha256>.rltsw`) in a folder every machine mounts at the same
 * path; Redis only maps version → hash. Identical weights are written once, and a file is complete
 * before its hash is published (written to a temporary name, then renamed).
 */
export class FileWeightStore implements WeightStore {
  private readonly dir: string;

  constructor(
    readonly location: string,
    private readonly redis: Redis,
    private readonly keys: ReturnType<typeof runKeys>,
  ) {
    this.dir = fileStoreDir(location);
  }

  private path(hash: string): string {
    return join(this.dir, `${hash}.rltsw`);
  }

  async publish(version: number, weights: Weights): Promise<void> {
    const bytes = encodeWeights(weights);
    const hash = createHash("sha256").update(bytes).digest("hex");
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.path(hash)}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, this.path(hash));
    await this.redis.set(this.keys.weights(version), `sha256:${hash}`, "EX", runKeyTtlSeconds);
  }

  async has(version: number): Promise<boolean> {
    return (await this.redis.exists(this.keys.weights(version))) === 1;
  }

  async fetch(version: number): Promise<Weights> {
    const pointer = await this.redis.get(this.keys.weights(version));
    if (!pointer?.startsWith("sha256:")) throw missing(version, this.location);
    const hash = pointer.slice("sha256:".length);
    const bytes = await readFile(this.path(hash)).catch((error: Error) => {
      throw new StateError(
        `weights version ${version}: cannot read ${this.path(hash)} (${error.message}); the folder of ${this.location} must be shared by the learner and every worker`,
      );
    });
    if (createHash("sha256").update(bytes).digest("hex") !== hash) {
      throw new StateError(
        `weights version ${version}: ${this.path(hash)} does not match its hash (partly copied?)`,
      );
    }
    return decodeWeights(bytes, this.path(hash));
  }

  async remove(versions: readonly number[]): Promise<void> {
    if (!versions.length) return;
    const keys = versions.map((v) => this.keys.weights(v));
    const pointers = await this.redis.mget(...keys);
    await this.redis.del(...keys);
    // A file may back a newer version too (identical weights): delete only hashes nothing else names.
    const live = new Set<string>();
    const rest = await this.redis.keys(this.keys.weights(0).replace(/:0$/, ":*"));
    if (rest.length) for (const p of await this.redis.mget(...rest)) if (p) live.add(p);
    for (const p of new Set(pointers)) {
      if (p?.startsWith("sha256:") && !live.has(p)) await rm(this.path(p.slice(7)), { force: true });
    }
  }
}

function missing(version: number, location: string): StateError {
  return new StateError(
    `weights version ${version} is not in the ${location} store (pruned, or Redis restarted without persistence); the learner republishes it`,
  );
}

/** The folder of a `file://` store URL. */
export function fileStoreDir(location: string): string {
  if (!location.startsWith("file://")) {
    throw new ConfigError(
      "distributed.weights",
      location,
      'use "redis" or a file URL such as file:///shared/rlts-weights',
    );
  }
  return fileURLToPath(location);
}

/** The store a spec's `weights` names: `redis` or `file:///dir`. */
export function createWeightStore(
  location: string,
  redis: Redis,
  keys: ReturnType<typeof runKeys>,
): WeightStore {
  if (location === "redis") return new RedisWeightStore(redis, keys);
  fileStoreDir(location);
  return new FileWeightStore(location, redis, keys);
}
