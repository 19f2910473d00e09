// The GRPO math demo: evaluate the shipped base model, improve it with the GRPO trainer of
// @rlts/trainer (math-correctness + format rewards, group advantages, the grpo objective, KL to the
// frozen base), evaluate again and write the report. The last line printed is one JSON object.
//
//   pnpm --filter grpo-math run demo [--seed 1] [--steps 60] [--data file.jsonl] [--out runs/demo]
import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { getRegistry } from "@rlts/core";
import { writeRunReport } from "@rlts/report";
import { GrpoTrainer, parseConfig } from "@rlts/trainer";
import { parse as parseYaml } from "yaml";
import { type EvaluationResult, evaluate } from "./evaluate.js";
import { type JsonlTailOptions, loadJsonlTailTask } from "./jsonl-tail-task.js";
import { createMultistepTask, type MultistepTaskOptions } from "./multistep-task.js";

const appDir = resolve(dirname(new URL(import.meta.url).pathname), "..");

const { values } = parseArgs({
  options: {
    config: { type: "string", default: resolve(appDir, "grpo-math.yaml") },
    seed: { type: "string" },
    steps: { type: "string" },
    data: { type: "string" },
    "eval-limit": { type: "string" },
    engine: { type: "string" },
    checkpoint: { type: "string" },
    lr: { type: "string" },
    beta: { type: "string" },
    out: { type: "string" },
    redis: { type: "string" },
  },
});

const configPath = resolve(values.config);
type RawConfig = Record<string, unknown> & {
  train?: Record<string, unknown>;
  rollout?: Record<string, unknown> & { maxNewTokens?: number };
};
const raw = parseYaml(readFileSync(configPath, "utf8")) as RawConfig;
if (values.seed !== undefined) raw.seed = Number(values.seed);
if (values.steps !== undefined) raw.train = { ...raw.train, steps: Number(values.steps) };
if (values.checkpoint !== undefined) raw.model = { checkpoint: resolve(values.checkpoint) };
if (values.lr !== undefined) raw.optimizer = { ...(raw.optimizer as object), lr: Number(values.lr) };
if (values.beta !== undefined) raw.objective = { name: "grpo", beta: Number(values.beta) };
if (values.engine !== undefined) raw.rollout = { ...raw.rollout, engine: values.engine };
// Rollouts and rewards on `rlts worker` processes (@rlts/distributed) instead of in this process.
if (values.redis !== undefined) raw.distributed = { ...(raw.distributed as object), redis: values.redis };
// Each run gets a fresh folder (the trainer refuses one holding an earlier run's checkpoints).
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
raw.runDir = values.out ? resolve(values.out) : `${raw.runDir ?? "runs/demo"}-${stamp}`;
if (values.data) {
  // A GSM8K-format file: half of it trains, the other half evaluates; questions keep their last
  // characters so that they fit the small model's context.
  const room = 64 - (raw.rollout?.maxNewTokens ?? 40) - 2;
  raw.task = {
    name: "jsonl-tail",
    path: resolve(values.data),
    testFraction: 0.5,
    splitSeed: 0,
    maxQuestionChars: room,
  };
}
const config = parseConfig(raw, configPath);
const baseDir = dirname(configPath);
const t0 = performance.now();
let generateSeconds = 0;
let trainSeconds = 0;
const fmt = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(3));
const trainer = await GrpoTrainer.create(config, {
  baseDir,
  onStep: (step, metrics, timing) => {
    generateSeconds += timing.generateSeconds;
    trainSeconds += timing.trainSeconds;
    console.log(
      `step ${step}/${config.train.steps}  reward ${fmt(metrics.reward)}  accuracy ${fmt(metrics.accuracy)}  format ${fmt(metrics["reward/format"])}  kl ${fmt(metrics.kl)}  generate ${timing.generateSeconds.toFixed(1)} s  train ${timing.trainSeconds.toFixed(1)} s`,
    );
  },
  register: (container) => {
    getRegistry(container).register(
      "env",
      "arithmetic-multistep",
      (o) => createMultistepTask(o as MultistepTaskOptions),
      { description: "synthetic arithmetic, training on problems of two or more operations" },
    );
    getRegistry(container).register(
      "env",
      "jsonl-tail",
      (o) => loadJsonlTailTask(o as unknown as JsonlTailOptions),
      {
        description: "GSM8K-format JSONL with questions cut to their last characters",
      },
    );
  },
});
const template = config.prompt.template;
const prompt = (e: { question: string }) => template.replaceAll("{question}", e.question);
const limit = values["eval-limit"] ? Number(values["eval-limit"]) : undefined;
const evalSet = trainer.task.examples("test").slice(0, limit);
// On a terminal the progress rewrites one line; in a log file (CI, redirected output) it is a line each.
const tty = process.stdout.isTTY === true;
const progress = (label: string) => (done: number, total: number) =>
  process.stdout.write(tty ? `\r${label}: ${done}/${total}` : `${label}: ${done}/${total}\n`);
const show = (label: string, r: EvaluationResult) => {
  if (tty) process.stdout.write("\n");
  console.log(
    `${label}: strict ${(100 * r.strict).toFixed(1)}%  lenient ${(100 * r.lenient).toFixed(1)}%  working right ${(100 * r.workedRight).toFixed(1)}%  (${r.n} held-out problems, greedy)`,
  );
};
const evalOptions = { prompt, maxNewTokens: config.rollout.maxNewTokens };
const base = await evaluate(trainer.policy, trainer.tokenizer, evalSet, {
  ...evalOptions,
  onProgress: progress("base eval"),
});
show("base model", base);
const { promptsPerStep, groupSize, temperature } = config.rollout;
console.log(
  `GRPO: ${config.train.steps} steps × ${promptsPerStep} prompts × G=${groupSize}, temperature ${temperature}, lr ${config.optimizer.lr}, rollouts on ${config.rollout.engine}`,
);
await trainer.train();
const final = await evaluate(trainer.policy, trainer.tokenizer, evalSet, {
  ...evalOptions,
  onProgress: progress("final eval"),
});
show("after GRPO", final);
const runDir = trainer.runDir;
writeFileSync(
  resolve(runDir, "evaluations.json"),
  JSON.stringify([
    {
      label: "base",
      // The report shows every accuracy mode as a column; workedRight is the working alone.
      accuracy: { strict: base.strict, lenient: base.lenient, workedRight: base.workedRight },
      n: base.n,
      step: 0,
    },
    {
      label: "final",
      accuracy: { strict: final.strict, lenient: final.lenient, workedRight: final.workedRight },
      n: final.n,
      step: trainer.step,
    },
  ]),
);
await trainer.dispose();
const report = await writeRunReport(runDir);
console.log(
  JSON.stringify({
    baseAccuracy: { strict: base.strict, lenient: base.lenient },
    finalAccuracy: { strict: final.strict, lenient: final.lenient },
    steps: trainer.step,
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    generateSeconds: Math.round(generateSeconds * 10) / 10,
    trainSeconds: Math.round(trainSeconds * 10) / 10,
    reportPath: report.htmlPath,
  }),
);
