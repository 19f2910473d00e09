import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { assertInRange, assertInteger, ConfigError } from "@rlts/core";
import { chartSpec, chartTitle, enlargeSvg, renderSvg, scopeSvgIds, svgToPng } from "./chart.js";
import { ReportInputError } from "./errors.js";
import { renderHtml } from "./html.js";
import {
  type Evaluation,
  evaluationsFrom,
  type Metric,
  parseMetric,
  parseSample,
  readEvaluations,
  readMetrics,
  readSamples,
  type Sample,
} from "./records.js";
import { collectSeries, groupSeries } from "./series.js";

/** What {@link writeReport} reads and where it writes. */
export interface ReportOptions {
  /** Folder for `index.html` and `charts/`; created if missing. */
  readonly outDir: string;
  /** Heading and page title. */
  readonly title: string;
  /** Run configuration, shown as a table of dotted keys. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Step metrics, or the path of a metrics JSONL file. */
  readonly metrics: readonly Metric[] | string;
  /** Sample completions, or the path of a samples JSONL file. */
  readonly samples?: readonly Sample[] | string;
  /** Evaluations in order (first = before, last = after), or the path of a `.json`/`.jsonl` file. */
  readonly evaluations?: readonly Evaluation[] | string;
  /**
   * EMA weight in [0, 1) for the curves (0 draws raw values only), or `"auto"`: about 2% of the run's
   * length (see `autoSmoothing`).
   */
  readonly smoothing?: number | "auto";
  /** Most samples listed in the page, spread evenly over the run. */
  readonly maxSamples?: number;
  /** Most points drawn per series before decimation. */
  readonly maxPoints?: number;
  /** Plot area width and height in CSS pixels. */
  readonly width?: number;
  readonly height?: number;
  /** PNG pixels per SVG pixel (2 gives sharp images on high-density screens). */
  readonly pngScale?: number;
}

/** Defaults of the optional {@link ReportOptions}. */
export const reportDefaults = {
  /** Per-step GRPO rewards are noisy; a window that grows with the run keeps the trend readable. */
  smoothing: "auto" as number | "auto",
  maxSamples: 40,
  maxPoints: 1000,
  width: 640,
  height: 240,
  pngScale: 2,
} as const;

/** One written chart. */
export interface ReportChart {
  /** File-name-safe group name, e.g. `reward` or `completion_length`. */
  readonly name: string;
  readonly title: string;
  /** The metric keys drawn. */
  readonly series: readonly string[];
  readonly svgPath: string;
  readonly pngPath: string;
}

/** Paths of everything {@link writeReport} wrote. */
export interface ReportResult {
  readonly htmlPath: string;
  readonly charts: readonly ReportChart[];
}

function inMemory<T>(values: readonly unknown[], field: string, parse: (v: unknown) => T): T[] {
  return values.map((v, i) => {
    try {
      return parse(v);
    } catch (error) {
      throw new ReportInputError(`<${field}>`, undefined, `entry ${i}: ${(error as Error).message}`);
    }
  });
}

/** Keeps at most `max` items spread evenly over the array, first and last included. */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  if (max === 1) return [items[items.length - 1]];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]);
}

function fileName(group: string, taken: Set<string>): string {
  const base =
    group
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "metric";
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

/**
 * Writes the training report: one SVG and one PNG per chart in `outDir/charts/`, and `outDir/index.html`
 * holding the configuration, the before/after accuracy table, the charts (inline SVG) and sample
 * completions. Metrics are grouped into charts by the prefix before `/`. Input files that are missing or
 * malformed throw {@link ReportInputError} naming the file and line; bad options throw `ConfigError`.
 */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const o = { ...reportDefaults, ...options };
  if (typeof o.outDir !== "string" || o.outDir.length === 0) {
    throw new ConfigError("report.outDir", o.outDir, "name the folder to write the report into");
  }
  if (typeof o.title !== "string") throw new ConfigError("report.title", o.title, "use a string");
  if (o.smoothing !== "auto" && !(typeof o.smoothing === "number" && o.smoothing >= 0 && o.smoothing < 1)) {
    throw new ConfigError(
      "report.smoothing",
      o.smoothing,
      'use "auto" or an EMA weight ≥ 0 and < 1 (0 turns smoothing off)',
    );
  }
  assertInteger("report.maxSamples", o.maxSamples, 0);
  assertInteger("report.maxPoints", o.maxPoints, 4);
  assertInRange("report.width", o.width, 100, 4000);
  assertInRange("report.height", o.height, 60, 4000);
  assertInRange("report.pngScale", o.pngScale, 0.25, 8);

  const metrics =
    typeof o.metrics === "string"
      ? await readMetrics(o.metrics)
      : inMemory(o.metrics ?? [], "metrics", parseMetric);
  const samples =
    o.samples === undefined
      ? []
      : typeof o.samples === "string"
        ? await readSamples(o.samples)
        : inMemory(o.samples, "samples", parseSample);
  const evaluations =
    o.evaluations === undefined
      ? []
      : typeof o.evaluations === "string"
        ? await readEvaluations(o.evaluations)
        : evaluationsFrom(o.evaluations, "<evaluations>");

  const series = collectSeries(metrics);
  const groups = groupSeries(series);
  const chartDir = join(o.outDir, "charts");
  await mkdir(chartDir, { recursive: true });
  const style = { width: o.width, height: o.height, smoothing: o.smoothing, maxPoints: o.maxPoints };
  const taken = new Set<string>();
  const charts: (ReportChart & { svg: string })[] = [];
  const pngs: Promise<void>[] = [];
  for (const group of groups) {
    const name = fileName(group.name, taken);
    const svg = await renderSvg(chartSpec(group, style));
    const svgPath = join(chartDir, `${name}.svg`);
    const pngPath = join(chartDir, `${name}.png`);
    await writeFile(svgPath, svg);
    // resvg rasterises on the thread pool while Vega lays out the next chart.
    pngs.push(svgToPng(svg, o.pngScale).then((png) => writeFile(pngPath, png)));
    charts.push({
      name,
      title: chartTitle(group.name),
      series: group.series.map((s) => s.key),
      svgPath,
      pngPath,
      svg: enlargeSvg(scopeSvgIds(svg, `chart-${name}`), 1.25),
    });
  }

  await Promise.all(pngs);

  const sortedSamples = samples.every((s, i) => i === 0 || samples[i - 1].step <= s.step)
    ? samples
    : [...samples].sort((a, b) => a.step - b.step);
  const htmlPath = join(o.outDir, "index.html");
  const html = renderHtml({
    title: o.title,
    config: o.config,
    series,
    charts: charts.map((c) => ({
      name: c.name,
      title: c.title,
      svg: c.svg,
      svgHref: relative(o.outDir, c.svgPath).split("\\").join("/"),
      pngHref: relative(o.outDir, c.pngPath).split("\\").join("/"),
    })),
    evaluations,
    samples: spread(sortedSamples, o.maxSamples),
    totalSamples: samples.length,
  });
  await writeFile(htmlPath, html);
  return { htmlPath, charts: charts.map(({ svg: _svg, ...chart }) => chart) };
}
