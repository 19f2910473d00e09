#!/usr/bin/env node
// tsyringe (loaded through @rlts/core) needs the Reflect metadata API before it is imported.
import "reflect-metadata";
import { parseArgs } from "node:util";
import { RltsError } from "@rlts/core";
import { writeRunReport } from "./run-dir.js";

const usage = `usage: rlts-report <runDir> [--out <dir>] [--title <text>] [--smoothing auto|<0..1>] [--max-samples <n>]

Reads <runDir>/metrics.jsonl (and samples.jsonl, evaluations.json, config.json when present) and writes
the charts (SVG and PNG) and index.html to <runDir>/report/ (or --out).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      title: { type: "string" },
      smoothing: { type: "string" },
      "max-samples": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length !== 1) {
    (values.help ? console.log : console.error)(usage);
    return values.help ? 0 : 2;
  }
  const result = await writeRunReport(positionals[0], {
    ...(values.out ? { outDir: values.out } : {}),
    ...(values.title ? { title: values.title } : {}),
    ...(values.smoothing
      ? { smoothing: values.smoothing === "auto" ? "auto" : Number(values.smoothing) }
      : {}),
    ...(values["max-samples"] ? { maxSamples: Number(values["max-samples"]) } : {}),
  });
  for (const chart of result.charts) console.log(`chart ${chart.name}: ${chart.svgPath}, ${chart.pngPath}`);
  console.log(`report: ${result.htmlPath}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Our own errors already name the file, line and fix; anything else keeps its stack.
    console.error(error instanceof RltsError ? `rlts-report: ${error.message}` : error);
    process.exitCode = 1;
  },
);
