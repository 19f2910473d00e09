import { assertLength, ConfigError, ShapeError } from "@rlts/core";

/** Samples partitioned into groups (prompts or start states), each group numbered 0..numGroups−1. */
export interface Groups {
  /** Dense group number of each sample. */
  readonly groupOf: Int32Array;
  /** Number of distinct groups. */
  readonly numGroups: number;
  /** Samples per group. */
  readonly sizes: Int32Array;
}

/** Contiguous groups of `groupSize` samples: TRL's `rewards.view(-1, num_generations)` layout. */
export function groupsBySize(n: number, groupSize: number, field = "groupSize"): Groups {
  if (!Number.isInteger(groupSize) || groupSize < 1) {
    throw new ConfigError(field, groupSize, "use a whole number ≥ 1 (completions per prompt)");
  }
  if (n % groupSize !== 0) {
    throw new ShapeError("rewards", `a multiple of ${field} = ${groupSize} entries`, `${n}`);
  }
  const numGroups = n / groupSize;
  const groupOf = new Int32Array(n);
  for (let i = 0; i < n; i++) groupOf[i] = (i / groupSize) | 0;
  return { groupOf, numGroups, sizes: new Int32Array(numGroups).fill(groupSize) };
}

/**
 * Groups by id: samples that share an id form one group wherever they sit in the batch, so ids need
 * not be contiguous or sorted. Groups are numbered in order of first appearance.
 */
export function groupsById(groupIds: ArrayLike<number>, n: number, field = "groupIds"): Groups {
  assertLength(field, groupIds, n, "ids (one per reward)");
  let min = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const id = groupIds[i];
    if (!Number.isInteger(id)) {
      throw new ConfigError(`${field}[${i}]`, id, "use whole-number group ids (one per prompt)");
    }
    if (i === 0 || id < min) min = id;
    if (i === 0 || id > max) max = id;
  }
  const groupOf = new Int32Array(n);
  const sizes: number[] = [];
  // Ids in a compact range (the usual prompt indices) map through a table; sparse ids through a Map.
  if (max - min <= 4 * n + 1024) {
    const table = new Int32Array(max - min + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      const slot = groupIds[i] - min;
      let g = table[slot];
      if (g < 0) {
        g = sizes.length;
        table[slot] = g;
        sizes.push(0);
      }
      groupOf[i] = g;
      sizes[g]++;
    }
  } else {
    const dense = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      let g = dense.get(groupIds[i]);
      if (g === undefined) {
        g = sizes.length;
        dense.set(groupIds[i], g);
        sizes.push(0);
      }
      groupOf[i] = g;
      sizes[g]++;
    }
  }
  return { groupOf, numGroups: sizes.length, sizes: Int32Array.from(sizes) };
}

/** {@link groupsBySize} for a number, {@link groupsById} for an array of ids. */
export function makeGroups(n: number, groups: number | ArrayLike<number>): Groups {
  return typeof groups === "number" ? groupsBySize(n, groups) : groupsById(groups, n);
}

/**
 * Per-group statistics of `x` over the scored samples (all of them unless `abstained` is given):
 * two-pass mean and sum of squared deviations, the scored count, and whether all scored are equal.
 */
export interface GroupStats {
  readonly sum: Float64Array;
  /** Mean of the scored samples of the group; 0 for a group with none (never 0/0). */
  readonly mean: Float64Array;
  readonly sumSq: Float64Array;
  /** Scored samples per group: the group size minus its abstentions. */
  readonly count: Int32Array;
  /** 1 where every scored value of the group is the same number (a group of one or none included). */
  readonly constant: Uint8Array;
}

/**
 * Computes {@link GroupStats} of `x` over `groups`, skipping the samples flagged in `abstained`: TRL's
 * `nanmean` over the scored rewards of each group (`grpo_trainer.py` `_generate_and_score_completions`).
 */
export function groupStats(x: ArrayLike<number>, groups: Groups, abstained?: Uint8Array): GroupStats {
  const { groupOf, numGroups } = groups;
  const n = groupOf.length;
  const sum = new Float64Array(numGroups);
  const count = new Int32Array(numGroups);
  const first = new Float64Array(numGroups);
  const constant = new Uint8Array(numGroups).fill(1);
  for (let i = 0; i < n; i++) {
    if (abstained !== undefined && abstained[i] === 1) continue;
    const g = groupOf[i];
    const v = x[i];
    sum[g] += v;
    if (count[g] === 0) first[g] = v;
    else if (v !== first[g]) constant[g] = 0;
    count[g]++;
  }
  const mean = new Float64Array(numGroups);
  // mean_g = Σ_{scored} r / n_scored (TRL nanmean); a group with nothing scored keeps 0.
  for (let g = 0; g < numGroups; g++) if (count[g] > 0) mean[g] = sum[g] / count[g];
  const sumSq = new Float64Array(numGroups);
  for (let i = 0; i < n; i++) {
    if (abstained !== undefined && abstained[i] === 1) continue;
    const g = groupOf[i];
    const d = x[i] - mean[g];
    sumSq[g] += d * d;
  }
  return { sum, mean, sumSq, count, constant };
}
