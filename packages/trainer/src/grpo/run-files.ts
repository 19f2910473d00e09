import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** File names inside a run folder (the layout `@rlts/report` reads). */
export const runFileNames = {
  metrics: "metrics.jsonl",
  samples: "samples.jsonl",
  timings: "timings.jsonl",
  evaluations: "evaluations.jsonl",
  config: "config.json",
  checkpoints: "checkpoints",
} as const;

/** Appends one JSON object per line; lines are buffered and written by {@link flush}. */
export class JsonlWriter {
  private pending: string[] = [];

  constructor(readonly path: string) {}

  write(record: Record<string, unknown>): void {
    this.pending.push(`${JSON.stringify(record)}\n`);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join("");
    this.pending = [];
    await appendFile(this.path, text, "utf8");
  }
}

/**
 * Keeps the lines of a JSONL file whose `step` is at most `maxStep` and drops the rest (a run killed
 * after its last checkpoint logged steps that the resumed run will log again). Atomic by rename.
 */
export async function truncateJsonlAfter(path: string, maxStep: number): Promise<void> {
  if (!existsSync(path)) return;
  const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((line) => {
    try {
      const step = (JSON.parse(line) as { step?: unknown }).step;
      return typeof step === "number" && step <= maxStep;
    } catch {
      return false;
    }
  });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, kept.map((l) => `${l}\n`).join(""), "utf8");
  await rename(tmp, path);
}

const checkpointPattern = /^step-(\d+)\.ckpt$/;

/** `checkpoints/step-000012.ckpt` for step 12 (plus `.ref.ckpt` / `.sampler.ckpt` companions). */
export function checkpointPath(runDir: string, step: number, part: "" | "ref" | "sampler" = ""): string {
  const stem = `step-${String(step).padStart(6, "0")}`;
  return join(runDir, runFileNames.checkpoints, part ? `${stem}.${part}.ckpt` : `${stem}.ckpt`);
}

/** Steps of the trainer checkpoints in a run folder, ascending. */
export async function listCheckpointSteps(runDir: string): Promise<number[]> {
  const dir = join(runDir, runFileNames.checkpoints);
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .map((f) => checkpointPattern.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Deletes all but the newest `keep` checkpoints (with their companions). */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<void> {
  const steps = await listCheckpointSteps(runDir);
  for (const step of steps.slice(0, Math.max(0, steps.length - keep))) {
    for (const part of ["", "ref", "sampler"] as const) {
      await rm(checkpointPath(runDir, step, part), { force: true });
    }
  }
}

/** Creates the run folder and its checkpoints folder. */
export async function ensureRunDir(runDir: string): Promise<void> {
  await mkdir(join(runDir, runFileNames.checkpoints), { recursive: true });
}

/** The JSONL files of a run folder, opened for appending. */
export class RunFiles {
  readonly metrics: JsonlWriter;
  readonly samples: JsonlWriter;
  readonly timings: JsonlWriter;
  readonly evaluations: JsonlWriter;

  private constructor(runDir: string) {
    this.metrics = new JsonlWriter(join(runDir, runFileNames.metrics));
    this.samples = new JsonlWriter(join(runDir, runFileNames.samples));
    this.timings = new JsonlWriter(join(runDir, runFileNames.timings));
    this.evaluations = new JsonlWriter(join(runDir, runFileNames.evaluations));
  }

  /**
   * Creates the run folder and opens its files: a fresh run starts them empty; a run resumed at
   * `resumedStep` drops the lines logged after it (the resumed run logs those steps again).
   */
  static async open(runDir: string, resumedStep: number | undefined): Promise<RunFiles> {
    await ensureRunDir(runDir);
    const files = new RunFiles(runDir);
    for (const writer of files.all()) {
      if (resumedStep === undefined) await rm(writer.path, { force: true });
      else await truncateJsonlAfter(writer.path, resumedStep);
    }
    return files;
  }

  /** Writes every buffered line. */
  async flush(): Promise<void> {
    for (const writer of this.all()) await writer.flush();
  }

  private all(): JsonlWriter[] {
    return [this.metrics, this.samples, this.timings, this.evaluations];
  }
}
