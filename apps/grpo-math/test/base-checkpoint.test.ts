import "reflect-metadata";
import { fileURLToPath } from "node:url";
import { selectEngine } from "@rlts/backend-tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "../src/evaluate.js";
import { loadModel } from "../src/model.js";
import { createTask } from "../src/task.js";

const basePath = fileURLToPath(new URL("../checkpoints/base.ckpt", import.meta.url));

beforeAll(async () => {
  await selectEngine({ prefer: "wasm" });
});

describe("the shipped base checkpoint", () => {
  it("loads and answers in format on held-out problems", async () => {
    const { model, tokenizer } = await loadModel(basePath);
    const problems = createTask().examples("test").slice(0, 100);
    const result = await evaluate(model, tokenizer, problems);
    // Measured on these 100 test problems: 100 well-formed, 34 right (strict = lenient = 0.34), 60
    // with the working right (the rest of those answer with the first step's result: the trained slip).
    // The floors sit well below, so a broken checkpoint, tokenizer or prompt fails; a random model of
    // this shape writes no well-formed completion at all.
    expect(result.formatted).toBeGreaterThan(0.9);
    expect(result.strict).toBeGreaterThan(0.1);
    expect(result.lenient).toBeGreaterThanOrEqual(result.strict);
    // The slip leaves room for GRPO: many answers contradict their own working.
    expect(result.workedRight).toBeGreaterThan(result.strict + 0.1);
    model.dispose();
  });
});
