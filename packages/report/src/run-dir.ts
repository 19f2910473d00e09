import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ReportInputError } from "./errors.js";
import { readText } from "./jsonl.js";
import { type ReportOptions, type ReportResult, writeReport } from "./write-report.js";

/** The files of a run folder the report reads; only `metrics.jsonl` must exist. */
export const runFiles = {
  metrics: "metrics.jsonl",
  samples: "samples.jsonl",
  evaluations: ["evaluations.json", "evaluations.jsonl"],
  config: "config.json",
  /** Where the report goes, inside the run folder. */
  outDir: "report",
} as const;

/** Options of {@link writeRunReport}: any {@link ReportOptions} besides the inputs, which come from the folder. */
export type RunReportOptions = Partial<Omit<ReportOptions, "metrics" | "samples" | "evaluations">>;

/**
 * Writes the report of a run folder: reads `metrics.jsonl` and, when present, `samples.jsonl`,
 * `evaluations.json` (or `.jsonl`) and `config.json`, and writes `report/` inside the folder. The title
 * defaults to the config's `title` or `name`, else the folder name.
 */
export async function writeRunReport(runDir: string, options: RunReportOptions = {}): Promise<ReportResult> {
  const metricsPath = join(runDir, runFiles.metrics);
  if (!existsSync(metricsPath)) {
    throw new ReportInputError(
      metricsPath,
      undefined,
      "file not found; a run folder holds the trainer's metrics.jsonl",
    );
  }
  let config = options.config;
  const configPath = join(runDir, runFiles.config);
  if (config === undefined && existsSync(configPath)) {
    try {
      config = JSON.parse(await readText(configPath));
    } catch (error) {
      if (error instanceof ReportInputError) throw error;
      throw new ReportInputError(configPath, undefined, `not valid JSON (${(error as Error).message})`);
    }
  }
  const samplesPath = join(runDir, runFiles.samples);
  const evaluationsPath = runFiles.evaluations.map((f) => join(runDir, f)).find((p) => existsSync(p));
  const named = config?.title ?? config?.name;
  return writeReport({
    ...options,
    outDir: options.outDir ?? join(runDir, runFiles.outDir),
    title: options.title ?? (typeof named === "string" ? named : basename(resolve(runDir))),
    config,
    metrics: metricsPath,
    samples: existsSync(samplesPath) ? samplesPath : undefined,
    evaluations: evaluationsPath,
  });
}
