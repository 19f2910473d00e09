// `pnpm bench report`: how the training report scales with the length of a run. A GRPO-like run of 11
// metrics per step (reward total and two components, strict and lenient accuracy, KL, completion
// length, loss, throughput, wall time) is generated with a seeded RNG at 1k, 10k and 100k steps and
// written with writeReport (7 charts as SVG + PNG, and the HTML page). Each figure is the median of
// several runs after a warm-up. Because the machine is shared, compare the ratios measured in the same
// run: `scaling100kVs1k` (how much longer 100x the steps takes), `undecimatedVsDecimated10k` (drawing
// every point instead of the default budget of 1000 per series) and `readMetricsVsJsonParse` (the
// validating JSONL reader against bare JSON.parse per line).
import "reflect-metadata";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "@rlts/core";
import { type Metric, readMetrics, writeReport } from "../../packages/report/src/index.js";

const RUNS = 3;
const rng = createRng(10);
const work = mkdtempSync(join(tmpdir(), "rlts-bench-report-"));

function run(steps: number): Metric[] {
  const out: Metric[] = [];
  for (let t = 0; t < steps; t++) {
    const p = Math.min(1, t / (steps / 2));
    const correct = p * 0.6 + (rng.next() - 0.5) * 0.3;
    const format = Math.min(1, (t / steps) * 4) * 0.9 + rng.next() * 0.1;
    out.push({
      step: t,
      "reward/mean": correct + format,
      "reward/math-correctness": correct,
      "reward/format": format,
      "accuracy/strict": Math.max(0, p * 0.45 + rng.normal() * 0.05),
      "accuracy/lenient": Math.max(0, 0.1 + p * 0.4 + rng.normal() * 0.05),
      kl: 0.0001 * t * (0.5 + rng.next()),
      "completion_length/mean": 90 - 30 * p + rng.normal() * 5,
      loss: rng.normal() * 0.02,
      tokens_per_second: 800 + rng.normal() * 40,
      wall_seconds: t * 4.1,
    });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeReport(metrics: Metric[], maxPoints?: number): Promise<{ ms: number; svgBytes: number }> {
  const outDir = join(work, `r-${metrics.length}-${maxPoints ?? "default"}`);
  const times: number[] = [];
  let svgBytes = 0;
  for (let i = 0; i <= RUNS; i++) {
    const started = performance.now();
    const result = await writeReport({
      outDir,
      title: "bench",
      metrics,
      ...(maxPoints ? { maxPoints } : {}),
    });
    // The first run warms up Vega, resvg and the JIT.
    if (i > 0) times.push(performance.now() - started);
    svgBytes = result.charts.reduce((n, c) => n + statSync(c.svgPath).size, 0);
  }
  return { ms: median(times), svgBytes };
}

try {
  const figures: Record<string, number> = {};
  for (const steps of [1_000, 10_000, 100_000]) {
    const metrics = run(steps);
    const { ms, svgBytes } = await timeReport(metrics);
    figures[`ms${steps / 1000}k`] = Math.round(ms);
    figures[`svgKiB${steps / 1000}k`] = Math.round(svgBytes / 1024);
    console.log(`${steps} steps: ${ms.toFixed(0)} ms, SVGs ${(svgBytes / 1024).toFixed(0)} KiB`);
  }
  figures.scaling100kVs1k = Number((figures.ms100k / figures.ms1k).toFixed(2));

  const tenK = run(10_000);
  const undecimated = await timeReport(tenK, 10_000);
  console.log(`10000 steps drawing every point: ${undecimated.ms.toFixed(0)} ms`);
  figures.undecimatedVsDecimated10k = Number((undecimated.ms / figures.ms10k).toFixed(2));
  figures.svgKiBUndecimated10k = Math.round(undecimated.svgBytes / 1024);

  const path = join(work, "metrics.jsonl");
  writeFileSync(
    path,
    `${run(100_000)
      .map((m) => JSON.stringify(m))
      .join("\n")}\n`,
  );
  const readTimes: number[] = [];
  const plainTimes: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    let started = performance.now();
    await readMetrics(path);
    if (i > 0) readTimes.push(performance.now() - started);
    started = performance.now();
    readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l)
      .map((l) => JSON.parse(l));
    if (i > 0) plainTimes.push(performance.now() - started);
  }
  figures.readMetrics100kMs = Math.round(median(readTimes));
  figures.readMetricsVsJsonParse = Number((median(readTimes) / median(plainTimes)).toFixed(2));
  console.log(`read 100000 metric lines: ${figures.readMetrics100kMs} ms`);
  console.log(JSON.stringify(figures));
} finally {
  rmSync(work, { recursive: true, force: true });
}
