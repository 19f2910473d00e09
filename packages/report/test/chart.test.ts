import { describe, expect, it } from "vitest";
import {
  chartSpec,
  collectSeries,
  groupSeries,
  type Metric,
  renderSvg,
  scopeSvgIds,
  seriesLabel,
  svgToPng,
} from "../src/index.js";
import { byClass, parseXml, pngSize, texts } from "./helpers.js";

const style = { width: 400, height: 150, smoothing: 0, maxPoints: 1000 } as const;

function rewardMetrics(steps: number): Metric[] {
  return Array.from({ length: steps }, (_, t) => ({
    step: t,
    "reward/mean": t / steps,
    "reward/math-correctness": (t % 7) / 7,
    "reward/format": t < steps / 2 ? 0 : 1,
    kl: 0.001 * t,
  }));
}

/** Number of points a Vega line path visits: one M plus one L per further point. */
function pathPoints(d: string): number {
  return (d.match(/[ML]/g) ?? []).length;
}

describe("renderSvg", () => {
  it("draws one line per series with axis titles, legend labels and the chart title", async () => {
    const [reward] = groupSeries(collectSeries(rewardMetrics(30)));
    const doc = parseXml(await renderSvg(chartSpec(reward, style)));
    const svg = doc.documentElement!;
    expect(svg.tagName).toBe("svg");
    const lines = byClass(svg, "mark-line", "role-mark");
    expect(lines).toHaveLength(3);
    // 30 steps each: every line visits 30 points.
    for (const g of lines) expect(pathPoints(g.getElementsByTagName("path")[0].getAttribute("d")!)).toBe(30);
    expect(texts(svg, "role-axis-title")).toEqual(["step", "reward"]);
    expect(texts(svg, "role-legend-label")).toEqual(["total (mean)", "math-correctness", "format"]);
    expect(texts(svg, "role-title-text")).toEqual(["Reward"]);
  });

  it("with smoothing, draws a raw and a smoothed layer per series and says so in the subtitle", async () => {
    const [reward] = groupSeries(collectSeries(rewardMetrics(30)));
    const doc = parseXml(await renderSvg(chartSpec(reward, { ...style, smoothing: 0.7 })));
    expect(byClass(doc.documentElement!, "mark-line", "layer_0_marks")).toHaveLength(3);
    expect(byClass(doc.documentElement!, "mark-line", "layer_1_marks")).toHaveLength(3);
    expect(texts(doc.documentElement!, "role-title-subtitle")).toEqual([
      "faint: raw values; bold: EMA, weight 0.7",
    ]);
  });

  it("a single-series chart has no legend", async () => {
    const groups = groupSeries(collectSeries(rewardMetrics(10)));
    const kl = groups.find((g) => g.name === "kl")!;
    const doc = parseXml(await renderSvg(chartSpec(kl, style)));
    expect(byClass(doc.documentElement!, "role-legend")).toHaveLength(0);
    expect(texts(doc.documentElement!, "role-axis-title")).toEqual(["step", "KL"]);
  });

  it("a run of one step draws its points with labelled axes", async () => {
    const [reward] = groupSeries(collectSeries([{ step: 0, "reward/mean": 0.5, "reward/format": 1 }]));
    const doc = parseXml(await renderSvg(chartSpec(reward, style)));
    const labels = texts(doc.documentElement!, "role-axis-label");
    expect(labels).toContain("0");
    expect(labels.join(" ")).not.toContain("NaN");
    // One point per series, drawn as a symbol since a line needs two.
    expect(byClass(doc.documentElement!, "mark-symbol", "role-mark")).toHaveLength(1);
    expect(
      byClass(doc.documentElement!, "mark-symbol", "role-mark")[0].getElementsByTagName("path"),
    ).toHaveLength(2);
  });

  it("a constant series is drawn flat with short tick labels", async () => {
    const metrics = Array.from({ length: 300 }, (_, t) => ({ step: t + 1, lr: 3e-4 }));
    const [lr] = groupSeries(collectSeries(metrics));
    const doc = parseXml(await renderSvg(chartSpec(lr, { ...style, smoothing: 0.83 })));
    const labels = texts(doc.documentElement!, "role-axis-label");
    // The y axis spans [0, 6e-4]; no label carries rounding digits such as 0.00029999999999999.
    expect(labels.some((l) => /^0\.000[1-6]$/.test(l))).toBe(true);
    for (const l of labels) expect(l.length).toBeLessThan(8);
  });

  it("a long series is decimated to the point budget", async () => {
    const [reward] = groupSeries(collectSeries(rewardMetrics(20_000)));
    const doc = parseXml(await renderSvg(chartSpec(reward, { ...style, maxPoints: 500 })));
    for (const g of byClass(doc.documentElement!, "mark-line", "role-mark")) {
      const points = pathPoints(g.getElementsByTagName("path")[0].getAttribute("d")!);
      expect(points).toBeGreaterThan(100);
      expect(points).toBeLessThanOrEqual(500);
    }
  });
});

describe("svgToPng", () => {
  it("writes a PNG whose IHDR size is the SVG size times the scale", async () => {
    const [reward] = groupSeries(collectSeries(rewardMetrics(20)));
    const svg = await renderSvg(chartSpec(reward, style));
    const root = parseXml(svg).documentElement!;
    const width = Number(root.getAttribute("width"));
    const height = Number(root.getAttribute("height"));
    // The plot area (400 × 150) plus axes, title and legend.
    expect(width).toBeGreaterThan(400);
    expect(height).toBeGreaterThan(150);
    expect(pngSize(await svgToPng(svg, 1))).toEqual({ width, height });
    expect(pngSize(await svgToPng(svg, 2))).toEqual({ width: 2 * width, height: 2 * height });
  });
});

describe("labels and ids", () => {
  it("names series without their group prefix", () => {
    expect(seriesLabel("reward", "reward/mean")).toBe("total (mean)");
    expect(seriesLabel("reward", "reward")).toBe("total");
    expect(seriesLabel("reward", "reward/format")).toBe("format");
    expect(seriesLabel("kl", "kl")).toBe("kl");
    expect(seriesLabel("accuracy", "accuracy/strict")).toBe("strict");
  });

  it("scopes ids and the references to them, leaving other text alone", () => {
    const svg =
      '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/>' +
      "<text>url(#other)</text></g></svg>";
    expect(scopeSvgIds(svg, "c-kl")).toBe(
      '<svg><defs><clipPath id="c-kl-clip1"><rect/></clipPath></defs><g clip-path="url(#c-kl-clip1)">' +
        '<use href="#c-kl-clip1"/><text>url(#other)</text></g></svg>',
    );
  });
});
