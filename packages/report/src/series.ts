import type { Metric } from "./records.js";

/** One metric over steps, in step order. */
export interface Series {
  /** The metric key, e.g. `reward/format`. */
  readonly key: string;
  readonly steps: Float64Array;
  readonly values: Float64Array;
}

/** Metrics that share a chart, e.g. every `reward/*` key. */
export interface SeriesGroup {
  /** The shared prefix (`reward`) or the whole key of a metric without `/` (`kl`). */
  readonly name: string;
  readonly series: readonly Series[];
}

/**
 * Splits step records into one series per metric key, sorted by step. A missing or `null` value drops
 * that step from that series only (its line joins the neighbouring steps, as TensorBoard draws sparse
 * scalars). Keys keep the order they first appear in.
 */
export function collectSeries(metrics: readonly Metric[]): Series[] {
  const order = metrics.every((m, i) => i === 0 || metrics[i - 1].step <= m.step)
    ? metrics
    : [...metrics].sort((a, b) => a.step - b.step);
  const columns = new Map<string, { steps: number[]; values: number[] }>();
  for (const record of order) {
    for (const key in record) {
      if (key === "step") continue;
      const value = record[key];
      if (value === null || value === undefined) continue;
      let column = columns.get(key);
      if (!column) {
        column = { steps: [], values: [] };
        columns.set(key, column);
      }
      column.steps.push(record.step);
      column.values.push(value);
    }
  }
  return [...columns].map(([key, c]) => ({
    key,
    steps: Float64Array.from(c.steps),
    values: Float64Array.from(c.values),
  }));
}

/** Groups shown first, in this order; the rest follow in the order their first key appears. */
export const preferredGroupOrder: readonly string[] = [
  "reward",
  "accuracy",
  "kl",
  "completion_length",
  "loss",
];

/**
 * Groups series by the part of the key before the first `/`. A key without `/` is its own group, unless
 * other keys use it as their prefix (`reward` joins `reward/format`).
 */
export function groupSeries(series: readonly Series[]): SeriesGroup[] {
  const groups = new Map<string, Series[]>();
  for (const s of series) {
    const slash = s.key.indexOf("/");
    const name = slash > 0 ? s.key.slice(0, slash) : s.key;
    const members = groups.get(name);
    if (members) members.push(s);
    else groups.set(name, [s]);
  }
  const rank = (name: string) => {
    const i = preferredGroupOrder.indexOf(name);
    return i === -1 ? preferredGroupOrder.length : i;
  };
  const firstSeen = [...groups.keys()];
  return firstSeen
    .sort((a, b) => rank(a) - rank(b) || firstSeen.indexOf(a) - firstSeen.indexOf(b))
    .map((name) => ({ name, series: groups.get(name)! }));
}

/**
 * Debiased exponential moving average with weight `w` in [0, 1): 0 returns the values unchanged.
 */
export function ema(values: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(values.length);
  let last = 0;
  let wPow = 1;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    // TensorBoard's scalar smoothing (vz_line_chart2 classic smoothing): last ← w·last + (1 − w)·x_i,
    // divided by the debias weight 1 − w^(i+1) so early points are not pulled towards 0.
    last = w * last + (1 - w) * values[i];
    wPow *= w;
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
    // A weighted mean of the values so far lies between their extremes; clamping removes only
    // rounding, so a constant series smooths to exactly itself (a flat line, not 1e-19 wiggles).
    out[i] = w === 0 ? values[i] : Math.min(hi, Math.max(lo, last / (1 - wPow)));
  }
  return out;
}

/**
 * Indices to draw when a series has more points than a chart can show: the series is cut into
 * `maxPoints / 2` buckets of consecutive points and each keeps its lowest and highest point (in step
 * order), so spikes survive while the SVG stays small. First and last points are always kept. Returns
 * every index when `length <= maxPoints`.
 */
export function decimate(values: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = values.length;
  if (n <= maxPoints) return Uint32Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const kept: number[] = [0];
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (from >= to) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    if (lo === hi) kept.push(lo);
    else kept.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  kept.push(n - 1);
  return Uint32Array.from(kept);
}
