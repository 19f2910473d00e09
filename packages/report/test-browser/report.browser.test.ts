import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Metric, type Sample, writeReport } from "../src/index.js";

// Debian's package; CI installs it (see .ci/run). The flags keep Chromium off the network, which this
// test never needs: the report must render from the file alone.
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const work = mkdtempSync(join(tmpdir(), "rlts-report-browser-"));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  // launch() gives every browser a fresh, empty profile directory of its own.
  browser = await chromium.launch({ executablePath, args });
});

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

function run(steps: number): { metrics: Metric[]; samples: Sample[] } {
  const metrics: Metric[] = [];
  const samples: Sample[] = [];
  for (let t = 0; t < steps; t++) {
    // A deterministic wobble so lines are not straight and the EMA has something to smooth.
    const wobble = Math.sin(t * 1.7) * 0.1;
    metrics.push({
      step: t,
      "reward/mean": (1.5 * t) / steps + wobble,
      "reward/math-correctness": (0.6 * t) / steps + wobble,
      "reward/format": Math.min(1, (3 * t) / steps),
      "accuracy/strict": (0.4 * t) / steps,
      "accuracy/lenient": 0.1 + (0.35 * t) / steps,
      kl: 0.0001 * t,
      "completion_length/mean": 80 - (20 * t) / steps + wobble * 10,
      loss: -0.02 + wobble / 10,
      tokens_per_second: 800 + wobble * 100,
    });
    if (t % 25 === 0) {
      samples.push({
        step: t,
        prompt: "What is 12 + 7?",
        completion: `<think>12+7=19</think><answer>19</answer><script>console.error("injected")</script>`,
        answer: "19",
        rewards: { "math-correctness": 1, format: 1 },
        total_reward: 2,
      });
    }
  }
  return { metrics, samples };
}

describe("the HTML report in headless Chromium", () => {
  it("renders every chart with drawn lines, loads nothing and logs no error", async () => {
    const outDir = join(work, "report");
    const { metrics, samples } = run(200);
    const result = await writeReport({
      outDir,
      title: "GRPO <browser test>",
      config: { model: "tiny", seed: 1 },
      metrics,
      samples,
      evaluations: [
        { label: "base", accuracy: { strict: 0.12, lenient: 0.2 } },
        { label: "final", accuracy: { strict: 0.41, lenient: 0.45 } },
      ],
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning")
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));

    const url = pathToFileURL(result.htmlPath).href;
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.ok()).toBe(true);
    expect(await page.title()).toBe("GRPO <browser test>");

    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((figure) => {
        const svg = figure.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        const lines = svg ? [...svg.querySelectorAll("g.mark-line path")] : [];
        return {
          name: figure.getAttribute("data-chart"),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          lines: lines.length,
          // Length of the drawn geometry: 0 if the path did not lay out.
          drawn: lines.map((p) => (p as unknown as { getTotalLength(): number }).getTotalLength()),
          axisTitles: svg ? [...svg.querySelectorAll(".role-axis-title text")].map((t) => t.textContent) : [],
        };
      }),
    );
    expect(charts.map((c) => c.name)).toEqual(result.charts.map((c) => c.name));
    for (const [i, chart] of charts.entries()) {
      expect(chart.width).toBeGreaterThan(300);
      expect(chart.height).toBeGreaterThan(150);
      // Smoothing is on by default for 200 steps: a raw and a smoothed line per series.
      expect(chart.lines).toBe(2 * result.charts[i].series.length);
      for (const length of chart.drawn) expect(length).toBeGreaterThan(50);
      expect(chart.axisTitles[0]).toBe("step");
    }

    // The completion shows as text; the <script> inside it never ran (it would have logged an error).
    const completion = await page.locator("td.completion pre").first().textContent();
    expect(completion).toBe(samples[0].completion);
    expect(await page.locator("td.completion script").count()).toBe(0);

    const strict = await page
      .locator('table.accuracy tr[data-label="final"] td[data-mode="strict"]')
      .textContent();
    expect(strict).toBe("41.0%");

    const screenshot = join(work, "report.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    if (process.env.RLTS_REPORT_SCREENSHOT)
      await page.screenshot({ path: process.env.RLTS_REPORT_SCREENSHOT, fullPage: true });

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});
