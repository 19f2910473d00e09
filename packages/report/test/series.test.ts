import { describe, expect, it } from "vitest";
import { autoSmoothing, collectSeries, decimate, ema, groupSeries, type Metric } from "../src/index.js";

describe("collectSeries", () => {
  it("splits records into per-key series in step order, leaving gaps for null and missing values", () => {
    const metrics: Metric[] = [
      { step: 2, loss: 0.5, kl: null },
      { step: 0, loss: 1.5 },
      { step: 1, loss: 1, kl: 0.01 },
    ];
    const series = collectSeries(metrics);
    expect(series.map((s) => s.key)).toEqual(["loss", "kl"]);
    expect([...series[0].steps]).toEqual([0, 1, 2]);
    expect([...series[0].values]).toEqual([1.5, 1, 0.5]);
    expect([...series[1].steps]).toEqual([1]);
    expect([...series[1].values]).toEqual([0.01]);
  });
});

describe("groupSeries", () => {
  it("groups by the prefix before '/', puts reward, accuracy, kl, length and loss first", () => {
    const keys = [
      "wall_seconds",
      "loss",
      "completion_length/mean",
      "kl",
      "accuracy/lenient",
      "reward/format",
      "accuracy/strict",
      "reward",
      "reward/math-correctness",
      "tokens_per_second",
      "completion_length/max",
    ];
    const groups = groupSeries(
      collectSeries([Object.fromEntries([["step", 0], ...keys.map((k) => [k, 1])]) as Metric]),
    );
    expect(groups.map((g) => [g.name, g.series.map((s) => s.key)])).toEqual([
      ["reward", ["reward/format", "reward", "reward/math-correctness"]],
      ["accuracy", ["accuracy/lenient", "accuracy/strict"]],
      ["kl", ["kl"]],
      ["completion_length", ["completion_length/mean", "completion_length/max"]],
      ["loss", ["loss"]],
      ["wall_seconds", ["wall_seconds"]],
      ["tokens_per_second", ["tokens_per_second"]],
    ]);
  });
});

describe("ema", () => {
  it("matches the debiased EMA worked by hand", () => {
    // w = 0.5, x = [2, 4, 0]:
    //   i=0: last = 0.5·0 + 0.5·2 = 1;      debias 1 − 0.5   = 0.5   → 2
    //   i=1: last = 0.5·1 + 0.5·4 = 2.5;    debias 1 − 0.25  = 0.75  → 3.3333…
    //   i=2: last = 0.5·2.5 + 0.5·0 = 1.25; debias 1 − 0.125 = 0.875 → 1.428571…
    const out = ema([2, 4, 0], 0.5);
    expect(out[0]).toBeCloseTo(2, 12);
    expect(out[1]).toBeCloseTo(10 / 3, 12);
    expect(out[2]).toBeCloseTo(10 / 7, 12);
  });

  it("weight 0 returns the values and a constant series stays constant", () => {
    expect([...ema([3, -1, 7], 0)]).toEqual([3, -1, 7]);
    for (const v of ema(new Array(50).fill(0.25), 0.9)) expect(v).toBeCloseTo(0.25, 12);
    // 3e-4 is not a binary fraction: the debiased quotient rounds, yet the smoothed line must equal
    // the value exactly (a constant learning rate plotted as 1e-19 wiggles was the failure).
    for (const v of ema(new Array(300).fill(3e-4), 0.83)) expect(v).toBe(3e-4);
  });
});

describe("decimate", () => {
  it("keeps every index when the series fits", () => {
    expect([...decimate([5, 4, 3], 10)]).toEqual([0, 1, 2]);
  });

  it("keeps first, last and each bucket's extremes, within the budget", () => {
    // 10 points, budget 6 → 2 buckets over the 8 inner points: indices 1..4 and 5..8.
    // Bucket 1 values [9, 1, 5, 5] → min at 2, max at 1; bucket 2 values [2, 2, 8, 0] → min 8, max 7.
    const values = [3, 9, 1, 5, 5, 2, 2, 8, 0, 4];
    expect([...decimate(values, 6)]).toEqual([0, 1, 2, 7, 8, 9]);
  });

  it("keeps a single spike in a long flat series", () => {
    const values = new Float64Array(100_000);
    values[61_234] = 42;
    const kept = decimate(values, 500);
    expect(kept.length).toBeLessThanOrEqual(500);
    expect([...kept]).toContain(61_234);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(99_999);
    for (let i = 1; i < kept.length; i++) expect(kept[i]).toBeGreaterThan(kept[i - 1]);
  });
});

describe("autoSmoothing", () => {
  it("averages over about 2% of the run and leaves short runs raw", () => {
    expect(autoSmoothing(20)).toBe(0);
    expect(autoSmoothing(99)).toBe(0);
    // 1 − 50/300 = 0.8333 → 0.83 (span 1/(1−w) ≈ 6 steps); 1 − 50/5000 = 0.99.
    expect(autoSmoothing(300)).toBe(0.83);
    expect(autoSmoothing(5000)).toBe(0.99);
    expect(autoSmoothing(1_000_000)).toBe(0.99);
  });
});
