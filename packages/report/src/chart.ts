import { createRequire } from "node:module";
import { type ResvgRenderOptions, renderAsync } from "@resvg/resvg-js";
import { parse as parseVega, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { decimate, ema, type SeriesGroup } from "./series.js";

/** How a chart is drawn. */
export interface ChartStyle {
  /** Width of the plotting area in CSS pixels (axes and legend come on top). */
  readonly width: number;
  /** Height of the plotting area in CSS pixels. */
  readonly height: number;
  /** EMA weight in [0, 1), or `"auto"` (see {@link autoSmoothing}); above 0 the raw line is drawn faint. */
  readonly smoothing: number | "auto";
  /** Most points drawn per series; longer series are decimated (min and max of each bucket). */
  readonly maxPoints: number;
}

/** The font every chart names; the PNG renderer loads it from the `dejavu-fonts-ttf` package. */
export const chartFont = "DejaVu Sans";

const titles: Readonly<Record<string, string>> = {
  reward: "Reward",
  accuracy: "Accuracy",
  kl: "KL divergence to the reference policy",
  completion_length: "Completion length",
  loss: "Loss",
  tokens_per_second: "Throughput (tokens per second)",
  wall_seconds: "Wall-clock time (seconds)",
  grad_norm: "Gradient norm",
  entropy: "Entropy",
  lr: "Learning rate",
  learning_rate: "Learning rate",
};

const axisTitles: Readonly<Record<string, string>> = {
  kl: "KL",
  completion_length: "length",
  tokens_per_second: "tokens/s",
  wall_seconds: "seconds",
  grad_norm: "norm",
  learning_rate: "rate",
};

/** The y-axis title of a group: short, since the chart title above already says what is drawn. */
export function axisTitle(group: string): string {
  return axisTitles[group] ?? group.replace(/[_-]+/g, " ").trim();
}

/** A readable chart title for a group name: known names get a fixed title, others are de-snake-cased. */
export function chartTitle(group: string): string {
  const known = titles[group];
  if (known) return known;
  const words = group.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The legend label of a series: its key without the group prefix; the group's own key reads `total`. */
export function seriesLabel(group: string, key: string): string {
  if (key === group) return group === "reward" ? "total" : key;
  const rest = key.startsWith(`${group}/`) ? key.slice(group.length + 1) : key;
  if (group === "reward" && (rest === "mean" || rest === "total")) return `total (${rest})`;
  return rest;
}

/**
 * The Vega-Lite spec of one group's chart: one coloured line per series against `step`; with
 * smoothing, the raw values faint and the EMA on top.
 */
export function chartSpec(group: SeriesGroup, style: ChartStyle): TopLevelSpec {
  const longest = Math.max(0, ...group.series.map((s) => s.values.length));
  const weight = style.smoothing === "auto" ? autoSmoothing(longest) : style.smoothing;
  const rows: { step: number; series: string; value: number; smoothed: number }[] = [];
  const labels: string[] = [];
  let integerSteps = true;
  let maxLength = 0;
  let minStep = Number.POSITIVE_INFINITY;
  let maxStep = Number.NEGATIVE_INFINITY;
  let minValue = Number.POSITIVE_INFINITY;
  let maxValue = Number.NEGATIVE_INFINITY;
  for (const s of group.series) {
    const label = seriesLabel(group.name, s.key);
    labels.push(label);
    // Smooth over every point, then decimate, so smoothing does not depend on the drawing budget.
    const smoothed = weight > 0 ? ema(s.values, weight) : s.values;
    const kept = decimate(s.values, style.maxPoints);
    maxLength = Math.max(maxLength, kept.length);
    for (const i of kept) {
      const step = s.steps[i];
      for (const v of [s.values[i], smoothed[i]]) {
        if (v < minValue) minValue = v;
        if (v > maxValue) maxValue = v;
      }
      if (!Number.isInteger(step)) integerSteps = false;
      if (step < minStep) minStep = step;
      if (step > maxStep) maxStep = step;
      rows.push({ step, series: label, value: s.values[i], smoothed: smoothed[i] });
    }
  }
  const smoothing = weight > 0;
  const flat =
    minValue <= maxValue && maxValue - minValue <= 1e-12 * Math.max(Math.abs(minValue), Math.abs(maxValue));
  const points = maxLength <= 1 || (maxLength <= 40 && !smoothing);
  const y = (field: "value" | "smoothed") => ({
    field,
    type: "quantitative" as const,
    title: axisTitle(group.name),
    // Accuracy is a fraction: keep 0 in view so small gains are not magnified; elsewhere fit the data.
    // A flat series (a constant learning rate) has an empty domain that Vega would stretch over its
    // rounding noise: draw it mid-height on [0, 2v] (or [−1, 1] for zero) instead.
    scale: flat
      ? { domain: minValue === 0 ? [-1, 1] : [Math.min(0, 2 * minValue), Math.max(0, 2 * minValue)] }
      : { zero: group.name === "accuracy" },
    axis: { titleFontWeight: "normal" as const, titleLimit: style.height },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: style.width,
    height: style.height,
    background: "white",
    padding: 8,
    title: {
      text: chartTitle(group.name),
      anchor: "start",
      fontSize: 15,
      ...(smoothing
        ? { subtitle: `faint: raw values; bold: EMA, weight ${weight}`, subtitleColor: "#555555" }
        : {}),
    },
    config: {
      font: `${chartFont}, sans-serif`,
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e6e6e6" },
      legend: { labelFontSize: 12, titleFontSize: 12, symbolStrokeWidth: 3, symbolOpacity: 1 },
      view: { stroke: "#bbbbbb" },
    },
    data: { values: rows },
    encoding: {
      x: {
        field: "step",
        type: "quantitative",
        title: "step",
        // One step alone has an empty domain, which Vega labels NaN: widen it by a step each side.
        scale: minStep < maxStep ? { nice: false } : { nice: false, domain: [minStep - 1, maxStep + 1] },
        axis: { titleFontWeight: "normal", ...(integerSteps ? { tickMinStep: 1, format: "~s" } : {}) },
      },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        scale: { domain: labels, scheme: labels.length <= 10 ? "tableau10" : "tableau20" },
        legend: labels.length > 1 ? { orient: "right" } : null,
      },
    },
    layer: smoothing
      ? [
          { mark: { type: "line", strokeWidth: 1, opacity: 0.3, clip: true }, encoding: { y: y("value") } },
          {
            mark: { type: "line", strokeWidth: 2, clip: true, point: points },
            encoding: { y: y("smoothed") },
          },
        ]
      : [{ mark: { type: "line", strokeWidth: 2, clip: true, point: points }, encoding: { y: y("value") } }],
  };
}

/**
 * The EMA weight used for `smoothing: "auto"`: an average over about 2% of the run (the EMA's span
 * 1 / (1 − w) = n / 50 steps), so 300 steps average over ~6 and 5000 over ~100; runs under 100 steps are
 * drawn raw. Rounded to two decimals for the chart subtitle.
 */
export function autoSmoothing(points: number): number {
  if (points < 100) return 0;
  return Math.min(0.99, Math.round((1 - 50 / points) * 100) / 100);
}

/** Renders a Vega-Lite spec to an SVG string with Vega's headless SVG renderer (no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parseVega(compile(spec).spec), { renderer: "none", logLevel: 1 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Prefixes every `id` of an SVG (and the `url(#…)`/`href="#…"` references to it) so several SVGs can be
 * inlined in one HTML page without one chart's clip path clipping another.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_all, head: string, id: string) => `${head}${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${prefix}-${id})` : all))
    .replace(/(href=")#([^"]+)"/g, (all, head: string, id: string) =>
      ids.has(id) ? `${head}#${prefix}-${id}"` : all,
    );
}

/**
 * Sets an SVG's display size to `factor` × its own (the viewBox keeps the drawing), so charts drawn at
 * print sizes read comfortably on screen.
 */
export function enlargeSvg(svg: string, factor: number): string {
  return svg.replace(
    /^(<svg\b[^>]*?)\swidth="([\d.]+)"\sheight="([\d.]+)"/,
    (_all, head: string, w: string, h: string) => {
      const round = (v: number) => Math.round(v * 100) / 100;
      return `${head} width="${round(Number(w) * factor)}" height="${round(Number(h) * factor)}"`;
    },
  );
}

let fontFiles: string[] | undefined;

function chartFontFiles(): string[] {
  if (!fontFiles) {
    const require = createRequire(import.meta.url);
    fontFiles = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) =>
      require.resolve(`dejavu-fonts-ttf/ttf/${f}`),
    );
  }
  return fontFiles;
}

/**
 * Rasterises an SVG with resvg at `scale` × its size, on white, off the main thread. Fonts come from the
 * `dejavu-fonts-ttf` package rather than the system, so the PNG looks the same on every machine, fonts
 * installed or not.
 */
export async function svgToPng(svg: string, scale: number): Promise<Buffer> {
  const options: ResvgRenderOptions = {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      loadSystemFonts: false,
      fontFiles: chartFontFiles(),
      defaultFontFamily: chartFont,
      sansSerifFamily: chartFont,
    },
  };
  return (await renderAsync(svg, options)).asPng();
}
