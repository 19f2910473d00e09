// `pnpm bench rewards`: completions graded per second on GSM8K-style text, and the cost of grading
// 1 MB hostile completions. Completions are built from the 1,319 GSM8K test solutions (a right answer,
// a wrong one, one with thousands separators, a "#### n" solution, a \boxed answer) with a seeded RNG.
// Each figure is the median of several timed runs after a warm-up. Because the machine is shared, the
// JSON also gives each grader's time relative to a naive regex grader (`#### (-?[\d.,]+)` then Number
// ==, the way simple evaluation scripts grade) measured in the same run (`…VsNaiveRegex`): that ratio is
// what to compare between runs.
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { createRng, type RewardInput } from "@rlts/core";
import {
  CompositeReward,
  FormatReward,
  LengthReward,
  MathCorrectnessReward,
} from "../../packages/rewards/src/index.js";

const RUNS = 7;
const rng = createRng(8);
const rows = readFileSync(new URL("../../data/gsm8k/test.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as { question: string; answer: string });

function completionFor(row: { answer: string }): string {
  const [solution, gold] = row.answer.split("####").map((s) => s.trim());
  const reasoning = solution.replace(/<<[^>]*>>/g, "");
  const value = BigInt(gold.replaceAll(",", ""));
  const kind = rng.int(5);
  if (kind === 0) return `<think>${reasoning}</think><answer>${value}</answer>`;
  if (kind === 1) return `<think>${reasoning}</think><answer>${value + 1n}</answer>`;
  if (kind === 2) return `<think>${reasoning}</think>\n<answer>${value.toLocaleString("en-US")}</answer>`;
  if (kind === 3) return `${reasoning}\n#### ${gold}`;
  return `${reasoning} So the answer is $\\boxed{${value}}$.`;
}

const inputs: RewardInput[] = [];
for (let copy = 0; copy < 4; copy++) {
  for (const row of rows) {
    const completion = completionFor(row);
    inputs.push({ prompt: row.question, completion, fields: row, completionTokens: completion.length });
  }
}
const totalChars = inputs.reduce((n, x) => n + x.completion.length, 0);
console.log(
  `${inputs.length} GSM8K-style completions, ${(totalChars / inputs.length).toFixed(0)} characters each on average`,
);

// The naive baseline: a regex on "####" and float equality. Fast and wrong on 1,234 vs 1234.
const naiveRe = /#### (-?[0-9.,]+)/;
function naiveScore(batch: readonly RewardInput[]): number[] {
  return batch.map((x) => {
    const m = naiveRe.exec(x.completion);
    const g = naiveRe.exec(x.fields.answer as string);
    return m && g && Number(m[1].replaceAll(",", "")) === Number(g[1].replaceAll(",", "")) ? 1 : 0;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(run: () => unknown): Promise<number> {
  await run();
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

const graders = {
  naiveRegex: () => naiveScore(inputs),
  mathAnswerTag: (
    (r) => () =>
      r.score(inputs)
  )(new MathCorrectnessReward()),
  mathStrict: (
    (r) => () =>
      r.score(inputs)
  )(new MathCorrectnessReward({ strict: true })),
  mathAuto: (
    (r) => () =>
      r.score(inputs)
  )(new MathCorrectnessReward({ format: "auto" })),
  format: (
    (r) => () =>
      r.score(inputs)
  )(new FormatReward()),
  length: (
    (r) => () =>
      r.score(inputs)
  )(new LengthReward({ maxLength: 1024, cacheLength: 256 })),
  composite: (
    (r) => () =>
      r.score(inputs)
  )(
    new CompositeReward([
      { reward: new MathCorrectnessReward({ format: "auto" }), weight: 1 },
      { reward: new FormatReward(), weight: 0.5 },
      { reward: new LengthReward({ maxLength: 1024, cacheLength: 256 }), weight: 1 },
    ]),
  ),
};

const figures: Record<string, number> = { completions: inputs.length };
const ms: Record<string, number> = {};
for (const [name, run] of Object.entries(graders)) {
  ms[name] = await time(run);
  figures[`${name}PerSecond`] = Math.round(inputs.length / (ms[name] / 1000));
  console.log(
    `${name}: ${ms[name].toFixed(1)} ms per ${inputs.length} → ${figures[`${name}PerSecond`]} completions/s`,
  );
}
for (const name of Object.keys(graders)) {
  if (name !== "naiveRegex") figures[`${name}VsNaiveRegex`] = Number((ms[name] / ms.naiveRegex).toFixed(2));
}

// Hostile 1 MB completions, graded with format "auto" (every extractor runs): the worst case, and its
// ratio to one plain JavaScript pass over the same text (summing its UTF-16 code units).
function onePass(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  return sum;
}
const MB = 1 << 20;
const hostile: Record<string, string> = {
  openBraces: "{".repeat(MB),
  unclosedBoxed: "\\boxed{".repeat(MB / 7),
  unclosedAnswerTags: "<answer>".repeat(MB / 8),
  aColons: "a:".repeat(MB / 2),
  digitsAndCommas: "1,".repeat(MB / 2),
  nulBytes: "\u0000".repeat(MB),
  arabicIndicDigits: "\u0663".repeat(MB),
};
const auto = new MathCorrectnessReward({ format: "auto" });
let worstMs = 0;
let worstName = "";
let worstRatio = 0;
let worstCpuMs = 0;
// CPU time of this process for one grade (the fastest of RUNS): unlike wall time, it does not grow
// when other processes share the machine.
function cpuMs(run: () => unknown): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < RUNS; r++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    fastest = Math.min(fastest, (used.user + used.system) / 1000);
  }
  return fastest;
}
for (const [name, completion] of Object.entries(hostile)) {
  const input = { prompt: "", completion, fields: { answer: "#### 42" } };
  const graded = await time(() => auto.grade(input));
  const pass = await time(() => onePass(completion));
  const cpu = cpuMs(() => auto.grade(input));
  worstCpuMs = Math.max(worstCpuMs, cpu);
  console.log(
    `1 MB ${name}: ${graded.toFixed(2)} ms, CPU ${cpu.toFixed(2)} ms (one JS pass: ${pass.toFixed(2)} ms)`,
  );
  if (graded > worstMs) {
    worstMs = graded;
    worstName = name;
    worstRatio = graded / Math.max(pass, 1e-3);
  }
}
figures.hostile1MbWorstMs = Number(worstMs.toFixed(2));
figures.hostile1MbWorstVsOnePass = Number(worstRatio.toFixed(1));
figures.hostile1MbWorstCpuMs = Number(worstCpuMs.toFixed(2));
console.log(`worst 1 MB case: ${worstName}`);
console.log(JSON.stringify(figures));
