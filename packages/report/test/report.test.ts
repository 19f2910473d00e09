import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@rlts/core";
import { type DefaultTreeAdapterMap, parse } from "parse5";
import { describe, expect, it } from "vitest";
import {
  type Evaluation,
  escapeHtml,
  flattenConfig,
  formatNumber,
  type Metric,
  ReportInputError,
  type Sample,
  spread,
  writeReport,
  writeRunReport,
} from "../src/index.js";
import { byClass, gsm8kQuestions, parseXml, pngSize, tempDir } from "./helpers.js";

type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

function walk(node: Node, visit: (el: Element) => void): void {
  if ("tagName" in node) visit(node);
  const children = "childNodes" in node ? node.childNodes : [];
  for (const child of children) walk(child, visit);
  if ("content" in node && node.content) walk(node.content, visit);
}

function elements(html: string, predicate: (el: Element) => boolean): Element[] {
  const found: Element[] = [];
  walk(parse(html), (el) => {
    if (predicate(el)) found.push(el);
  });
  return found;
}

function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

function hasClass(el: Element, name: string): boolean {
  return (attr(el, "class") ?? "").split(/\s+/).includes(name);
}

function textOf(node: Node): string {
  if (node.nodeName === "#text") return (node as DefaultTreeAdapterMap["textNode"]).value;
  return "childNodes" in node ? node.childNodes.map(textOf).join("") : "";
}

function metrics(steps: number): Metric[] {
  return Array.from({ length: steps }, (_, t) => ({
    step: t,
    "reward/mean": t / steps,
    "reward/math-correctness": t / (2 * steps),
    "reward/format": 0.5,
    "accuracy/strict": t / (4 * steps),
    "accuracy/lenient": t / (3 * steps),
    kl: 0.0001 * t,
    "completion_length/mean": 60 - t / 10,
    loss: -0.02,
    tokens_per_second: 812,
    wall_seconds: t * 4,
  }));
}

const evaluations: Evaluation[] = [
  { label: "base", accuracy: { strict: 0.12, lenient: 0.2 }, n: 1319 },
  { label: "final", accuracy: { lenient: 0.455, strict: 0.415 }, n: 1319 },
];

/** Completions a model really writes: tags, markup-looking text, quotes and ampersands. */
function samples(): Sample[] {
  const questions = gsm8kQuestions(3);
  const completions = [
    "<think>16 - 3 - 4 = 9; 9 * 2 = 18</think><answer>18</answer>",
    'The answer is <b>3</b> & "three" </td></tr><script>alert(1)</script>',
    "<think>I am not sure</think>",
  ];
  return questions.map((q, i) => ({
    step: i * 10,
    prompt: q.question,
    completion: completions[i],
    answer: q.answer.split("####").pop()!.trim(),
    rewards: { "math-correctness": i === 0 ? 1 : 0, format: i === 1 ? 0 : 1 },
    total_reward: i === 0 ? 2 : i === 1 ? 0 : 1,
    // Only the first sample has an advantage: 1.1547 shows as 1.155 (four significant digits).
    ...(i === 0 ? { advantage: 1.1547 } : {}),
  }));
}

describe("writeReport", () => {
  it("writes an SVG and a PNG per chart group and an HTML page that inlines them", async () => {
    const outDir = tempDir();
    const result = await writeReport({ outDir, title: "GSM8K <tiny>", metrics: metrics(50), pngScale: 2 });
    expect(result.charts.map((c) => c.name)).toEqual([
      "reward",
      "accuracy",
      "kl",
      "completion_length",
      "loss",
      "tokens_per_second",
      "wall_seconds",
    ]);
    expect(result.charts[0].series).toEqual(["reward/mean", "reward/math-correctness", "reward/format"]);
    for (const chart of result.charts) {
      const root = parseXml(readFileSync(chart.svgPath, "utf8")).documentElement!;
      const width = Number(root.getAttribute("width"));
      const height = Number(root.getAttribute("height"));
      expect(pngSize(readFileSync(chart.pngPath))).toEqual({ width: 2 * width, height: 2 * height });
      expect(byClass(root, "mark-line", "role-mark")).toHaveLength(chart.series.length);
    }
    const html = readFileSync(result.htmlPath, "utf8");
    expect(result.htmlPath).toBe(join(outDir, "index.html"));
    const figures = elements(html, (el) => el.tagName === "figure" && hasClass(el, "chart"));
    expect(figures.map((f) => attr(f, "data-chart"))).toEqual(result.charts.map((c) => c.name));
    for (const figure of figures) {
      const svgs = figure.childNodes.filter((c) => c.nodeName === "svg");
      expect(svgs).toHaveLength(1);
    }
    expect(elements(html, (el) => el.tagName === "title").map(textOf)).toEqual(["GSM8K <tiny>"]);
  });

  it("is self-contained: no script, no stylesheet link, nothing loaded from a URL", async () => {
    const outDir = tempDir();
    const { htmlPath } = await writeReport({
      outDir,
      title: "t",
      metrics: metrics(5),
      samples: samples(),
      evaluations,
    });
    const html = readFileSync(htmlPath, "utf8");
    expect(elements(html, (el) => el.tagName === "script" || el.tagName === "link")).toEqual([]);
    for (const el of elements(html, (e) => attr(e, "src") !== undefined)) {
      expect(attr(el, "src")).toMatch(/^data:/);
    }
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/)/);
    // Every id is unique, so one chart's clip path cannot clip another's lines.
    const ids = elements(html, (el) => attr(el, "id") !== undefined).map((el) => attr(el, "id"));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("shows completions as text, with per-component rewards", async () => {
    const outDir = tempDir();
    const given = samples();
    const { htmlPath } = await writeReport({ outDir, title: "t", metrics: metrics(5), samples: given });
    const html = readFileSync(htmlPath, "utf8");
    // Parsed as a browser would: no <think>, <answer>, <b> or <script> element came from a completion.
    expect(elements(html, (el) => ["think", "answer", "b", "script"].includes(el.tagName))).toEqual([]);
    const cells = elements(html, (el) => el.tagName === "td" && hasClass(el, "completion"));
    expect(cells.map(textOf)).toEqual(given.map((s) => s.completion));
    const prompts = elements(html, (el) => el.tagName === "td" && hasClass(el, "prompt"));
    expect(prompts.map(textOf)).toEqual(given.map((s) => s.prompt));
    const rows = elements(html, (el) => el.tagName === "tr" && hasClass(el, "sample"));
    const componentCells = rows.map((row) =>
      row.childNodes
        .filter((c): c is Element => "tagName" in c && attr(c, "data-component") !== undefined)
        .map((c) => [attr(c, "data-component"), textOf(c)]),
    );
    expect(componentCells).toEqual([
      [
        ["math-correctness", "1"],
        ["format", "1"],
      ],
      [
        ["math-correctness", "0"],
        ["format", "0"],
      ],
      [
        ["math-correctness", "0"],
        ["format", "1"],
      ],
    ]);
    const cellText = (cls: string) =>
      rows.map((row) => textOf(row.childNodes.find((c) => "tagName" in c && hasClass(c, cls))!));
    expect(cellText("total")).toEqual(["2", "0", "1"]);
    // Only the first sample carries an advantage; the others show a dash.
    expect(cellText("advantage")).toEqual(["1.155", "–", "–"]);
  });

  it("puts the accuracy numbers in the table, strict before lenient, and the change in points", async () => {
    const outDir = tempDir();
    const { htmlPath } = await writeReport({ outDir, title: "t", metrics: metrics(5), evaluations });
    const html = readFileSync(htmlPath, "utf8");
    const table = elements(html, (el) => el.tagName === "table" && hasClass(el, "accuracy"))[0];
    const rows: string[][] = [];
    walk(table, (el) => {
      if (el.tagName === "tr") rows.push(el.childNodes.map(textOf));
    });
    // 0.415 − 0.12 = 0.295 → +29.5 pp; 0.455 − 0.2 = 0.255 → +25.5 pp.
    expect(rows).toEqual([
      ["evaluation", "strict", "lenient", "problems"],
      ["base", "12.0%", "20.0%", "1319"],
      ["final", "41.5%", "45.5%", "1319"],
      ["change (final − base)", "+29.5 pp", "+25.5 pp", ""],
    ]);
    const raw: [string | undefined, string | undefined, number][] = [];
    walk(table, (el) => {
      if (el.tagName === "td" && attr(el, "data-value") !== undefined) {
        raw.push([
          attr(el, "data-mode"),
          (el.parentNode as Element).attrs.find((a) => a.name === "data-label")?.value,
          Number(attr(el, "data-value")),
        ]);
      }
    });
    expect(raw.slice(0, 4)).toEqual([
      ["strict", "base", 0.12],
      ["lenient", "base", 0.2],
      ["strict", "final", 0.415],
      ["lenient", "final", 0.455],
    ]);
  });

  it("reads its inputs from files and names the file and line of a bad one", async () => {
    const dir = tempDir();
    const metricsPath = join(dir, "metrics.jsonl");
    writeFileSync(
      metricsPath,
      `${metrics(3)
        .map((m) => JSON.stringify(m))
        .join("\n")}\n{"step":3,"loss":NaN}\n`,
    );
    await expect(writeReport({ outDir: join(dir, "out"), title: "t", metrics: metricsPath })).rejects.toThrow(
      `${metricsPath}:4: not valid JSON`,
    );
    await expect(
      writeReport({ outDir: join(dir, "out"), title: "t", metrics: [{ step: 0, loss: Number.NaN }] }),
    ).rejects.toThrow(ReportInputError);
    await expect(
      writeReport({ outDir: join(dir, "out"), title: "t", metrics: [], smoothing: 1 }),
    ).rejects.toThrow(ConfigError);
  });

  it("stays fast on a long run: 5000 steps and 5000 samples", async () => {
    const outDir = tempDir();
    const three = samples();
    const many = Array.from({ length: 5000 }, (_, i) => ({ ...three[i % 3], step: i }));
    const long = metrics(5000).map((m) => ({ step: m.step, "reward/mean": m["reward/mean"], kl: m.kl }));
    const started = performance.now();
    const result = await writeReport({ outDir, title: "long", metrics: long, samples: many, maxSamples: 20 });
    const seconds = (performance.now() - started) / 1000;
    // Generous bound for a shared, busy 2-core machine; about a second when it is idle.
    expect(seconds).toBeLessThan(20);
    const html = readFileSync(result.htmlPath, "utf8");
    expect(elements(html, (el) => el.tagName === "tr" && hasClass(el, "sample"))).toHaveLength(20);
    expect(html).toContain("20 of 5000 samples");
  });
});

describe("writeRunReport and the CLI", () => {
  function runDir(): string {
    const dir = tempDir();
    writeFileSync(
      join(dir, "metrics.jsonl"),
      metrics(12)
        .map((m) => JSON.stringify(m))
        .join("\n"),
    );
    writeFileSync(
      join(dir, "samples.jsonl"),
      samples()
        .map((s) => JSON.stringify(s))
        .join("\n"),
    );
    writeFileSync(join(dir, "evaluations.json"), JSON.stringify(evaluations));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ title: "GRPO tiny", seed: 7, advantage: { epsilon: 1e-4 } }),
    );
    return dir;
  }

  it("reads a run folder and writes report/ inside it", async () => {
    const dir = runDir();
    const result = await writeRunReport(dir);
    expect(result.htmlPath).toBe(join(dir, "report", "index.html"));
    const html = readFileSync(result.htmlPath, "utf8");
    expect(elements(html, (el) => el.tagName === "h1").map(textOf)).toEqual(["GRPO tiny"]);
    expect(elements(html, (el) => el.tagName === "tr" && hasClass(el, "sample"))).toHaveLength(3);
    expect(html).toContain("<dt>advantage.epsilon</dt><dd>0.0001</dd>");
  });

  it("rlts-report <runDir> writes the report and fails naming the missing file", () => {
    const dir = runDir();
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--conditions=@rlts/source", "--import", "tsx", cli, ...args], {
        cwd: root,
        encoding: "utf8",
      });
    const ok = run([dir]);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`report: ${join(dir, "report", "index.html")}`);
    expect(existsSync(join(dir, "report", "charts", "reward.png"))).toBe(true);
    const missing = run([join(dir, "nowhere")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `rlts-report: ${join(dir, "nowhere", "metrics.jsonl")}: file not found; a run folder holds the trainer's metrics.jsonl`,
    );
  });
});

describe("formatting helpers", () => {
  it("escapes the five HTML-special characters", () => {
    expect(escapeHtml(`<think>a & b "c" 'd'</think>`)).toBe(
      "&lt;think&gt;a &amp; b &quot;c&quot; &#39;d&#39;&lt;/think&gt;",
    );
  });

  it("formats numbers with four significant digits and no locale", () => {
    expect(formatNumber(0.00123456)).toBe("0.001235");
    expect(formatNumber(812)).toBe("812");
    expect(formatNumber(1234.5678)).toBe("1235");
    expect(formatNumber(0.00001234)).toBe("1.234e-5");
    expect(formatNumber(-0.02)).toBe("-0.02");
  });

  it("flattens nested config to dotted keys", () => {
    expect(flattenConfig({ a: { b: 1, c: { d: "x" } }, e: [1, 2], f: null })).toEqual([
      ["a.b", "1"],
      ["a.c.d", "x"],
      ["e", "1, 2"],
      ["f", "null"],
    ]);
  });

  it("spreads a sample budget evenly, keeping first and last", () => {
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8], 3)).toEqual([0, 4, 8]);
    expect(spread([1, 2], 5)).toEqual([1, 2]);
  });
});
