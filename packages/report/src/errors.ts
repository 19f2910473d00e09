import { RltsError } from "@rlts/core";

/**
 * A report input (metrics, samples or evaluations) is missing or malformed. The message names the file,
 * the 1-based line (for JSONL) and what to fix, e.g. `runs/a/metrics.jsonl:7: "kl" is "n/a"; ...`.
 */
export class ReportInputError extends RltsError {
  constructor(
    /** The file that was read, as given (or `<inline>` for values passed in memory). */
    readonly file: string,
    /** 1-based line of a JSONL file, or `undefined` when the problem is the whole file. */
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${reason}`);
  }
}
