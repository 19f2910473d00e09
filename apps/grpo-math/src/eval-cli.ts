// Greedy accuracy of a checkpoint on the arithmetic test split (500 problems never trained on) or on a
// GSM8K-format JSONL file.
//
//   pnpm --filter grpo-math run eval [--checkpoint checkpoints/base.ckpt] [--data file.jsonl] [--limit n]
import "reflect-metadata";
import { parseArgs } from "node:util";
import { selectEngine } from "@rlts/backend-tfjs";
import { loadJsonlTask } from "@rlts/env";
import { evaluate } from "./evaluate.js";
import { loadModel } from "./model.js";
import { createTask } from "./task.js";

const { values } = parseArgs({
  options: {
    checkpoint: { type: "string", default: "checkpoints/base.ckpt" },
    data: { type: "string" },
    split: { type: "string", default: "test" },
    limit: { type: "string" },
  },
});
await selectEngine();
const { model, tokenizer } = await loadModel(values.checkpoint);
const split = values.split === "train" ? "train" : "test";
let examples = values.data
  ? loadJsonlTask({ files: { test: values.data } }).examples("test")
  : createTask().examples(split);
if (values.limit)
  examples = examples.slice(
    split === "train" ? -Number(values.limit) : 0,
    split === "train" ? undefined : Number(values.limit),
  );
const t0 = Date.now();
const result = await evaluate(model, tokenizer, examples, {
  onProgress: (done, total) => process.stderr.write(`\r${done}/${total}`),
});
process.stderr.write("\n");
for (const c of result.completions.slice(0, 5))
  console.log(`${c.id}: ${JSON.stringify(c.completion)} (answer ${c.answer})`);
console.log(
  JSON.stringify({
    checkpoint: values.checkpoint,
    n: result.n,
    strict: result.strict,
    lenient: result.lenient,
    formatted: result.formatted,
    workedRight: result.workedRight,
    seconds: (Date.now() - t0) / 1000,
  }),
);
model.dispose();
