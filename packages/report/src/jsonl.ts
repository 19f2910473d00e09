import { readFile } from "node:fs/promises";
import { ReportInputError } from "./errors.js";

/** Turns one parsed JSONL record into `T`, or throws a message saying what is wrong with it. */
export type RecordParser<T> = (value: unknown) => T;

/**
 * Parses JSONL text: one JSON value per line, blank lines skipped. `file` is only used in error messages.
 * A line that is not JSON, or that `parse` rejects, throws {@link ReportInputError} naming `file` and the
 * 1-based line number.
 */
export function parseJsonl<T = unknown>(
  text: string,
  file: string,
  parse: RecordParser<T> = (value) => value as T,
): T[] {
  const out: T[] = [];
  let start = 0;
  let line = 0;
  // Index scanning instead of split("\n") keeps memory flat for long runs.
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ReportInputError(
        file,
        line,
        `not valid JSON (${(error as Error).message}); every line must hold one JSON object`,
      );
    }
    try {
      out.push(parse(value));
    } catch (error) {
      if (error instanceof ReportInputError) throw error;
      throw new ReportInputError(file, line, (error as Error).message);
    }
  }
  return out;
}

/** Reads a UTF-8 file, turning "not found" and similar into a {@link ReportInputError} naming the file. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "file not found" : `cannot read it (${(error as Error).message})`;
    throw new ReportInputError(path, undefined, why);
  }
}

/**
 * Reads a JSONL file (see {@link parseJsonl}). Errors name the path and line, and a missing file is a
 * {@link ReportInputError} too.
 */
export async function readJsonl<T = unknown>(path: string, parse?: RecordParser<T>): Promise<T[]> {
  return parseJsonl(await readText(path), path, parse);
}
