import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { ConfigError, type NamedTensor, type Rng, type RngState, rngFromState, ShapeError } from "@rlts/core";
import type { TrainableModel } from "./trainable.js";

/** First 8 bytes of every checkpoint file. */
export const CHECKPOINT_MAGIC = "RLTSCKPT";

/** One stored tensor: its role, name, shape and where its float32 values start in the data block. */
export interface CheckpointTensorEntry {
  /** "param" (a weight), "adam.m" or "adam.v" (AdamW moments of the parameter of the same name). */
  readonly role: "param" | "adam.m" | "adam.v";
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset into the data block, in float32 elements. */
  readonly offset: number;
  /** Number of float32 values. */
  readonly length: number;
}

/** The JSON header of a checkpoint file. */
export interface CheckpointManifest {
  readonly format: "rlts-tfjs-checkpoint";
  readonly version: 1;
  /** The training step the caller saved (e.g. the trainer's update count). */
  readonly step: number;
  /** AdamW's own step count (drives bias correction and the lr schedule). */
  readonly optimizerStep: number;
  /** The run's RNG state, when one was saved. */
  readonly rng: RngState | null;
  /** Free-form JSON the caller attached (config, tokenizer, metrics). */
  readonly metadata: unknown;
  readonly tensors: readonly CheckpointTensorEntry[];
}

/** What {@link saveCheckpoint} stores besides the model's weights and optimiser state. */
export interface SaveCheckpointOptions {
  readonly step?: number;
  readonly rng?: Rng;
  readonly metadata?: unknown;
}

/** What {@link loadCheckpoint} gives back besides restoring the model. */
export interface LoadedCheckpoint {
  readonly step: number;
  /** A generator restored from the saved state (undefined if none was saved). */
  readonly rng: Rng | undefined;
  readonly metadata: unknown;
  readonly manifest: CheckpointManifest;
}

/**
 * Saves weights, AdamW state, the RNG state and the step to one file, atomically: it writes
 * `<path>.tmp-<random>`, flushes it to disk and renames it over `path`, so a crash leaves either the
 * old or the new checkpoint, never half of one. Format (little-endian): "RLTSCKPT", uint32 header
 * length H, H bytes of UTF-8 JSON ({@link CheckpointManifest}), zero padding to a multiple of 4 bytes,
 * then the float32 data block.
 */
export async function saveCheckpoint(
  path: string,
  model: TrainableModel,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const step = options.step ?? model.getOptimizerState().step;
  if (!Number.isInteger(step) || step < 0)
    throw new ConfigError("checkpoint.step", step, "use a whole number ≥ 0");
  const weights = model.getWeights();
  const adam = model.getOptimizerState();
  const entries: CheckpointTensorEntry[] = [];
  const blocks: Float32Array[] = [];
  let offset = 0;
  const push = (
    role: CheckpointTensorEntry["role"],
    name: string,
    shape: readonly number[],
    data: Float32Array,
  ) => {
    entries.push({ role, name, shape: [...shape], offset, length: data.length });
    blocks.push(data);
    offset += data.length;
  };
  for (const [name, t] of weights) push("param", name, t.shape, t.data);
  for (const [name, t] of weights) push("adam.m", name, t.shape, adam.m.get(name)!);
  for (const [name, t] of weights) push("adam.v", name, t.shape, adam.v.get(name)!);
  const manifest: CheckpointManifest = {
    format: "rlts-tfjs-checkpoint",
    version: 1,
    step,
    optimizerStep: adam.step,
    rng: options.rng ? options.rng.getState() : null,
    metadata: options.metadata ?? null,
    tensors: entries,
  };
  const header = Buffer.from(JSON.stringify(manifest), "utf8");
  const prefix = Buffer.alloc(12);
  prefix.write(CHECKPOINT_MAGIC, 0, "ascii");
  prefix.writeUInt32LE(header.length, 8);
  const padding = Buffer.alloc((4 - ((12 + header.length) % 4)) % 4);
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const handle = await open(tmp, "w");
  try {
    await handle.write(prefix);
    await handle.write(header);
    await handle.write(padding);
    for (const block of blocks) await handle.write(littleEndianBytes(block));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(tmp, path);
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  // Typed arrays use the platform's byte order; every platform Node runs on is little-endian.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Reads a checkpoint's manifest without touching any model. */
export async function readCheckpointManifest(path: string): Promise<CheckpointManifest> {
  return parse(path, await readFile(path)).manifest;
}

function parse(path: string, bytes: Buffer): { manifest: CheckpointManifest; data: Float32Array } {
  if (bytes.length < 12 || bytes.toString("ascii", 0, 8) !== CHECKPOINT_MAGIC) {
    throw new ConfigError(
      "checkpoint",
      path,
      "this is not an rlts tfjs checkpoint (bad magic); pass a file written by saveCheckpoint",
    );
  }
  const headerLength = bytes.readUInt32LE(8);
  const manifest = JSON.parse(bytes.toString("utf8", 12, 12 + headerLength)) as CheckpointManifest;
  if (manifest.format !== "rlts-tfjs-checkpoint" || manifest.version !== 1) {
    throw new ConfigError(
      "checkpoint",
      path,
      `unsupported format ${manifest.format} v${manifest.version}; expected rlts-tfjs-checkpoint v1`,
    );
  }
  const start = 12 + headerLength + ((4 - ((12 + headerLength) % 4)) % 4);
  const copy = new Uint8Array(bytes.length - start);
  copy.set(bytes.subarray(start));
  return { manifest, data: new Float32Array(copy.buffer) };
}

/**
 * Restores weights and AdamW state from a {@link saveCheckpoint} file into `model`. Every tensor is
 * checked first: a missing, unknown or mis-shaped tensor throws a ShapeError naming the tensor, the
 * expected and the found shape, and the model is left unchanged.
 */
export async function loadCheckpoint(path: string, model: TrainableModel): Promise<LoadedCheckpoint> {
  const { manifest, data } = parse(path, await readFile(path));
  const byRole = {
    param: new Map<string, NamedTensor>(),
    "adam.m": new Map<string, NamedTensor>(),
    "adam.v": new Map<string, NamedTensor>(),
  };
  for (const e of manifest.tensors) {
    if (e.offset + e.length > data.length) {
      throw new ShapeError(
        `checkpoint ${path}: tensor "${e.name}"`,
        `${e.length} values`,
        "a truncated file",
      );
    }
    byRole[e.role].set(e.name, { shape: e.shape, data: data.subarray(e.offset, e.offset + e.length) });
  }
  const current = model.getWeights();
  const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;
  // Check every tensor (weights first, then the moments) before anything is assigned.
  for (const role of ["param", "adam.m", "adam.v"] as const) {
    const what = role === "param" ? "" : `${role} of `;
    for (const [name, t] of current) {
      const found = byRole[role].get(name);
      const same =
        found && found.shape.length === t.shape.length && found.shape.every((d, i) => d === t.shape[i]);
      if (!same) {
        throw new ShapeError(
          `checkpoint ${path}: ${what}tensor "${name}"`,
          shapeText(t.shape),
          found ? shapeText(found.shape) : "nothing (missing)",
        );
      }
    }
  }
  model.setWeights(byRole.param, `checkpoint ${path}`);
  model.setOptimizerState({
    step: manifest.optimizerStep,
    m: new Map([...byRole["adam.m"]].map(([k, t]) => [k, t.data])),
    v: new Map([...byRole["adam.v"]].map(([k, t]) => [k, t.data])),
  });
  return {
    step: manifest.step,
    rng: manifest.rng ? rngFromState(manifest.rng) : undefined,
    metadata: manifest.metadata,
    manifest,
  };
}
