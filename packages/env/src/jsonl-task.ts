import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { assertInRange, assertOneOf, ConfigError, shuffleInPlace } from "@rlts/core";
import { DatasetFormatError } from "./errors.js";
import { InMemoryPromptTask, type PromptExample, type PromptSplit } from "./prompt-task.js";
import { seededRng } from "./seeding.js";

/** A path or a `file:` URL. */
export type FileLocation = string | URL;

/** A line {@link loadJsonlTask} skipped with `onError: "skip"`. */
export interface SkippedLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** Options of {@link loadJsonlTask}. */
export interface JsonlTaskOptions {
  /** One file per split, e.g. `{ train: "train.jsonl", test: "test.jsonl" }`. */
  readonly files?: Readonly<Partial<Record<PromptSplit, FileLocation>>>;
  /** One file, split into train/test by `testFraction` (use `files` instead for fixed splits). */
  readonly path?: FileLocation;
  /** With `path`: the fraction of rows, drawn with `splitSeed`, that form the test split. Default 0. */
  readonly testFraction?: number;
  /** With `path`: seed of the train/test draw. Default 0. */
  readonly splitSeed?: number;
  /** The field holding the question. Default `"question"`. */
  readonly questionField?: string;
  /** The field holding the answer. Default `"answer"`. */
  readonly answerField?: string;
  /**
   * `"gsm8k"`: the answer is a worked solution ending in `#### <final answer>` (default);
   * `"plain"`: the answer field is the final answer itself.
   */
  readonly answerFormat?: "gsm8k" | "plain";
  /** What a malformed line does: `"throw"` (default) stops loading; `"skip"` records it in `skipped`. */
  readonly onError?: "throw" | "skip";
  /** Task name for logs. Default: the first file's name without `.jsonl`. */
  readonly name?: string;
}

const defaults = {
  testFraction: 0,
  splitSeed: 0,
  questionField: "question",
  answerField: "answer",
  answerFormat: "gsm8k",
  onError: "throw",
} as const satisfies Partial<JsonlTaskOptions>;

/** A prompt task read from JSONL files. `skipped` lists the lines dropped with `onError: "skip"`. */
export class JsonlPromptTask extends InMemoryPromptTask {
  constructor(
    name: string,
    splits: Readonly<Partial<Record<PromptSplit, readonly PromptExample[]>>>,
    readonly skipped: readonly SkippedLine[],
  ) {
    super(name, splits);
  }
}

const numberPattern = /^-?\d+(\.\d+)?$/;

/**
 * Splits a GSM8K answer (`"...reasoning...\n#### 1,234"`) into the reference answer (`"1234"`: commas
 * dropped) and the solution text without the `<<calc>>` annotations. Returns undefined without `####`.
 */
export function parseGsm8kAnswer(text: string): { answer: string; solution: string } | undefined {
  const at = text.lastIndexOf("####");
  if (at < 0) return undefined;
  const answer = text
    .slice(at + 4)
    .trim()
    .replace(/,/g, "");
  if (answer.length === 0) return undefined;
  const solution = text
    .slice(0, at)
    .replace(/<<[^>]*>>/g, "")
    .trim();
  return { answer, solution };
}

function toPath(location: FileLocation): string {
  return location instanceof URL ? fileURLToPath(location) : location;
}

interface ParseSettings {
  readonly questionField: string;
  readonly answerField: string;
  readonly answerFormat: "gsm8k" | "plain";
  readonly onError: "throw" | "skip";
}

/**
 * Parses JSONL `text` read from `file` into examples. Blank lines are ignored; a line that is not a JSON
 * object, lacks the question or answer, or (GSM8K format) has no `#### answer` throws a
 * {@link DatasetFormatError} naming `file` and the line, or is recorded in `skipped`.
 */
export function parseJsonlExamples(
  text: string,
  file: string,
  settings: ParseSettings,
  skipped: SkippedLine[] = [],
): PromptExample[] {
  const examples: PromptExample[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const label = basename(file);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim().length === 0) continue;
    const lineNumber = i + 1;
    const fail = (reason: string) => {
      if (settings.onError === "throw") throw new DatasetFormatError(file, lineNumber, reason);
      skipped.push({ file, line: lineNumber, reason });
    };
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      fail(`not valid JSON (${(error as Error).message})`);
      continue;
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      fail("each line must be a JSON object");
      continue;
    }
    const record = row as Record<string, unknown>;
    const question = record[settings.questionField];
    const rawAnswer = record[settings.answerField];
    if (typeof question !== "string" || question.trim().length === 0) {
      fail(`field "${settings.questionField}" must be a non-empty string`);
      continue;
    }
    if (typeof rawAnswer !== "string" && typeof rawAnswer !== "number") {
      fail(`field "${settings.answerField}" must be a string or a number`);
      continue;
    }
    let answer: string;
    let solution: string | undefined;
    if (settings.answerFormat === "gsm8k") {
      const parsed = typeof rawAnswer === "string" ? parseGsm8kAnswer(rawAnswer) : undefined;
      if (!parsed) {
        fail(`field "${settings.answerField}" must end with "#### <final answer>" (GSM8K format)`);
        continue;
      }
      answer = parsed.answer;
      solution = parsed.solution;
    } else {
      answer = String(rawAnswer).trim();
    }
    const fields: Record<string, unknown> = {
      ...record,
      question,
      answer: numberPattern.test(answer) ? Number(answer) : answer,
    };
    if (solution !== undefined) {
      fields.solution = solution;
      fields.rawAnswer = rawAnswer;
    }
    examples.push({ id: `${label}:${lineNumber}`, question, answer, solution, fields });
  }
  return examples;
}

/**
 * Loads a prompt task from JSONL files (GSM8K format by default: `{"question", "answer": "... #### 18"}`).
 * Give `files` for fixed splits, or `path` with `testFraction` to draw a seeded test split.
 */
export function loadJsonlTask(options: JsonlTaskOptions): JsonlPromptTask {
  const settings: ParseSettings = {
    questionField: options.questionField ?? defaults.questionField,
    answerField: options.answerField ?? defaults.answerField,
    answerFormat: options.answerFormat ?? defaults.answerFormat,
    onError: options.onError ?? defaults.onError,
  };
  assertOneOf("prompts.answerFormat", settings.answerFormat, ["gsm8k", "plain"]);
  assertOneOf("prompts.onError", settings.onError, ["throw", "skip"]);
  if ((options.files === undefined) === (options.path === undefined)) {
    throw new ConfigError(
      "prompts.files",
      options.files,
      "give either files: { train, test } or path (not both)",
    );
  }
  const skipped: SkippedLine[] = [];
  const read = (location: FileLocation, field: string): PromptExample[] => {
    const file = toPath(location);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new ConfigError(
        field,
        file,
        `cannot read it (${(error as NodeJS.ErrnoException).code ?? error}); check the path`,
      );
    }
    return parseJsonlExamples(text, file, settings, skipped);
  };
  const splits: Partial<Record<PromptSplit, PromptExample[]>> = {};
  let firstFile: string;
  if (options.files) {
    const entries = Object.entries(options.files).filter(([, v]) => v !== undefined) as [
      PromptSplit,
      FileLocation,
    ][];
    if (entries.length === 0)
      throw new ConfigError("prompts.files", options.files, "name at least one of train, test");
    for (const [split, location] of entries) {
      assertOneOf("prompts.files split", split, ["train", "test"]);
      splits[split] = read(location, `prompts.files.${split}`);
    }
    firstFile = toPath(entries[0][1]);
  } else {
    const file = options.path as FileLocation;
    firstFile = toPath(file);
    const all = read(file, "prompts.path");
    const testFraction = options.testFraction ?? defaults.testFraction;
    assertInRange("prompts.testFraction", testFraction, 0, 1);
    const splitSeed = options.splitSeed ?? defaults.splitSeed;
    // A seeded draw of exactly round(fraction · n) test rows; both splits keep file order.
    const order = shuffleInPlace(
      all.map((_, i) => i),
      seededRng(splitSeed),
    );
    const testCount = Math.round(testFraction * all.length);
    const isTest = new Uint8Array(all.length);
    for (let k = 0; k < testCount; k++) isTest[order[k]] = 1;
    splits.train = all.filter((_, i) => !isTest[i]);
    splits.test = all.filter((_, i) => isTest[i]);
  }
  const name = options.name ?? basename(firstFile).replace(/\.jsonl$/, "");
  return new JsonlPromptTask(name, splits, skipped);
}
