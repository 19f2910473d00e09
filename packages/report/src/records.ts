import { describeValue } from "@rlts/core";
import { ReportInputError } from "./errors.js";
import { parseJsonl, readJsonl, readText } from "./jsonl.js";

/**
 * Metrics of one optimiser step, as a trainer writes them, one JSON object per line:
 * `{"step":3,"reward/mean":0.41,"kl":0.0012}`. Keys with a `/` are grouped into one chart by the part
 * before it. `null` marks a metric not measured at that step.
 */
export interface Metric {
  readonly step: number;
  readonly [name: string]: number | null;
}

/** One sampled completion and how it was scored. */
export interface Sample {
  readonly step: number;
  readonly prompt: string;
  readonly completion: string;
  /** The reference answer. */
  readonly answer?: string | number | null;
  /** Score of each reward component by name; `null` where a component could not score. */
  readonly rewards?: Readonly<Record<string, number | null>>;
  /** The combined reward the policy was trained on. */
  readonly total_reward?: number | null;
  /** The completion's advantage (its reward relative to its group, for GRPO). */
  readonly advantage?: number | null;
}

/** Accuracy of one evaluation pass (`"base"` before training, `"final"` after). */
export interface Evaluation {
  readonly label: string;
  /**
   * Fractions in [0, 1] by grading mode. `strict` only counts answers in the required format; `lenient`
   * counts a correct answer wherever it appears: a gain in `strict` alone is a format gain.
   */
  readonly accuracy: Readonly<Record<string, number>>;
  /** Number of problems evaluated. */
  readonly n?: number;
  /** Training step the evaluation was taken at. */
  readonly step?: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value != null && typeof value === "object" && !Array.isArray(value);
}

function fail(reason: string): never {
  throw new Error(reason);
}

function finiteStep(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    fail(`"step" is ${describeValue(value)}; every record needs "step": a number ≥ 0`);
  }
  return value;
}

/** Checks one metrics record (see {@link Metric}); throws a message naming the bad key. */
export function parseMetric(value: unknown): Metric {
  if (!isObject(value))
    fail(`expected a JSON object like {"step":1,"loss":0.5}, got ${describeValue(value)}`);
  finiteStep(value.step);
  for (const [key, v] of Object.entries(value)) {
    if (key === "step" || v === null) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      fail(
        `"${key}" is ${describeValue(v)}; metric values must be finite numbers (or null when not measured)`,
      );
    }
  }
  return value as Metric;
}

/** Checks one sample record (see {@link Sample}); throws a message naming the bad field. */
export function parseSample(value: unknown): Sample {
  if (!isObject(value))
    fail(`expected a JSON object with step, prompt and completion, got ${describeValue(value)}`);
  finiteStep(value.step);
  for (const field of ["prompt", "completion"] as const) {
    if (typeof value[field] !== "string") fail(`"${field}" is ${describeValue(value[field])}; use a string`);
  }
  const answer = value.answer;
  if (answer != null && typeof answer !== "string" && typeof answer !== "number") {
    fail(`"answer" is ${describeValue(answer)}; use a string or a number`);
  }
  if (value.rewards != null) {
    if (!isObject(value.rewards)) fail(`"rewards" is ${describeValue(value.rewards)}; use {"name": score}`);
    for (const [name, r] of Object.entries(value.rewards)) {
      if (r !== null && (typeof r !== "number" || !Number.isFinite(r))) {
        fail(`"rewards.${name}" is ${describeValue(r)}; use a finite number or null`);
      }
    }
  }
  for (const field of ["total_reward", "advantage"] as const) {
    const v = value[field];
    if (v != null && (typeof v !== "number" || !Number.isFinite(v))) {
      fail(`"${field}" is ${describeValue(v)}; use a finite number`);
    }
  }
  return value as unknown as Sample;
}

/** Checks one evaluation (see {@link Evaluation}); `label` fills in a missing `label` field. */
export function parseEvaluation(value: unknown, label?: string): Evaluation {
  if (!isObject(value))
    fail(`expected {"label":"base","accuracy":{"strict":0.1}}, got ${describeValue(value)}`);
  const name = value.label ?? label;
  if (typeof name !== "string" || name.length === 0) {
    fail(`"label" is ${describeValue(value.label)}; name the evaluation, e.g. "base" or "final"`);
  }
  if (!isObject(value.accuracy) || Object.keys(value.accuracy).length === 0) {
    fail(
      `"accuracy" of "${name}" is ${describeValue(value.accuracy)}; use e.g. {"strict":0.12,"lenient":0.2}`,
    );
  }
  for (const [mode, a] of Object.entries(value.accuracy)) {
    if (typeof a !== "number" || !Number.isFinite(a) || a < 0 || a > 1) {
      fail(`"accuracy.${mode}" of "${name}" is ${describeValue(a)}; use a fraction between 0 and 1`);
    }
  }
  if (value.n != null && (typeof value.n !== "number" || !Number.isInteger(value.n) || value.n < 0)) {
    fail(`"n" of "${name}" is ${describeValue(value.n)}; use the number of problems evaluated`);
  }
  if (value.step != null) finiteStep(value.step);
  return { ...(value as object), label: name } as Evaluation;
}

/** Reads a metrics JSONL file; errors name the file and line. */
export function readMetrics(path: string): Promise<Metric[]> {
  return readJsonl(path, parseMetric);
}

/** Reads a samples JSONL file; errors name the file and line. */
export function readSamples(path: string): Promise<Sample[]> {
  return readJsonl(path, parseSample);
}

/**
 * Reads evaluations from a `.jsonl` file (one evaluation per line) or a JSON file holding either an
 * array of evaluations or an object keyed by label (`{"base":{"accuracy":{...}},"final":{...}}`).
 */
export async function readEvaluations(path: string): Promise<Evaluation[]> {
  const text = await readText(path);
  if (path.endsWith(".jsonl")) return parseJsonl(text, path, (v) => parseEvaluation(v));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(path, undefined, `not valid JSON (${(error as Error).message})`);
  }
  return evaluationsFrom(value, path);
}

/** Normalises evaluations given as an array or as an object keyed by label; errors name `file`. */
export function evaluationsFrom(value: unknown, file = "<evaluations>"): Evaluation[] {
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : isObject(value)
      ? Object.entries(value)
      : [];
  if (entries.length === 0 && !Array.isArray(value)) {
    throw new ReportInputError(
      file,
      undefined,
      'expected an array of evaluations or {"base":{...},"final":{...}}',
    );
  }
  return entries.map(([label, v], i) => {
    try {
      return parseEvaluation(v, label);
    } catch (error) {
      throw new ReportInputError(file, undefined, `${label ?? `entry ${i}`}: ${(error as Error).message}`);
    }
  });
}
