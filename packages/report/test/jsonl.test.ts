import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseJsonl,
  parseMetric,
  ReportInputError,
  readEvaluations,
  readJsonl,
  readMetrics,
  readSamples,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

function errorOf(fn: () => unknown): ReportInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ReportInputError) return error;
    throw error;
  }
  throw new Error("expected a ReportInputError");
}

async function asyncErrorOf(promise: Promise<unknown>): Promise<ReportInputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReportInputError) return error;
    throw error;
  }
  throw new Error("expected a ReportInputError");
}

describe("parseJsonl", () => {
  it("reads one object per line, skipping blank lines and tolerating CRLF", () => {
    const text = '{"step":0,"loss":1}\r\n\n  \n{"step":1,"loss":0.5}\n';
    expect(parseJsonl(text, "m.jsonl")).toEqual([
      { step: 0, loss: 1 },
      { step: 1, loss: 0.5 },
    ]);
  });

  it("names the file and the 1-based line of invalid JSON, counting blank lines", () => {
    // Lines: 1 ok, 2 blank, 3 ok, 4 cut off mid-object (a crashed writer).
    const text = '{"step":0}\n\n{"step":1}\n{"step":2,"lo';
    const error = errorOf(() => parseJsonl(text, "runs/a/metrics.jsonl"));
    expect(error.file).toBe("runs/a/metrics.jsonl");
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/^runs\/a\/metrics\.jsonl:4: not valid JSON/);
  });

  it("names the line and the key of a value that is not a number", () => {
    const text = '{"step":0,"kl":0.1}\n{"step":1,"kl":"n/a"}\n';
    const error = errorOf(() => parseJsonl(text, "metrics.jsonl", parseMetric));
    expect(error.line).toBe(2);
    expect(error.message).toContain('metrics.jsonl:2: "kl" is "n/a"');
  });

  it("rejects records without a usable step and accepts null as not measured", () => {
    expect(errorOf(() => parseJsonl('{"loss":1}', "m.jsonl", parseMetric)).message).toMatch(
      /m\.jsonl:1: "step" is undefined/,
    );
    expect(errorOf(() => parseJsonl('{"step":-1}', "m.jsonl", parseMetric)).message).toContain(
      '"step" is -1',
    );
    expect(errorOf(() => parseJsonl("[1,2]", "m.jsonl", parseMetric)).message).toContain(
      "expected a JSON object",
    );
    expect(parseJsonl('{"step":3,"kl":null}', "m.jsonl", parseMetric)).toEqual([{ step: 3, kl: null }]);
  });
});

describe("reading files", () => {
  it("a missing file is an error naming the path", async () => {
    const path = join(tempDir(), "nope.jsonl");
    const error = await asyncErrorOf(readJsonl(path));
    expect(error.file).toBe(path);
    expect(error.line).toBeUndefined();
    expect(error.message).toBe(`${path}: file not found`);
  });

  it("readMetrics and readSamples validate every line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "metrics.jsonl"), '{"step":0,"reward/mean":0.1}\n{"step":1,"reward/mean":0.3}\n');
    expect(await readMetrics(join(dir, "metrics.jsonl"))).toHaveLength(2);
    const samples = join(dir, "samples.jsonl");
    writeFileSync(
      samples,
      [
        '{"step":0,"prompt":"1+1?","completion":"2","answer":"2","rewards":{"format":0},"total_reward":0}',
        '{"step":0,"prompt":"2+2?","completion":4}',
      ].join("\n"),
    );
    const error = await asyncErrorOf(readSamples(samples));
    expect(error.message).toBe(`${samples}:2: "completion" is 4; use a string`);
    writeFileSync(samples, '{"step":0,"prompt":"p","completion":"c","rewards":{"format":"yes"}}');
    expect((await asyncErrorOf(readSamples(samples))).message).toContain(':1: "rewards.format" is "yes"');
  });

  it("reads evaluations as an array, an object keyed by label, or JSONL", async () => {
    const dir = tempDir();
    const asArray = join(dir, "a.json");
    writeFileSync(asArray, '[{"label":"base","accuracy":{"strict":0.12,"lenient":0.2}}]');
    expect(await readEvaluations(asArray)).toEqual([
      { label: "base", accuracy: { strict: 0.12, lenient: 0.2 } },
    ]);
    const asObject = join(dir, "b.json");
    writeFileSync(
      asObject,
      '{"base":{"accuracy":{"strict":0.1}},"final":{"accuracy":{"strict":0.4},"n":50}}',
    );
    expect((await readEvaluations(asObject)).map((e) => [e.label, e.accuracy.strict, e.n])).toEqual([
      ["base", 0.1, undefined],
      ["final", 0.4, 50],
    ]);
    const asLines = join(dir, "c.jsonl");
    writeFileSync(
      asLines,
      '{"label":"base","accuracy":{"strict":0.1}}\n{"label":"final","accuracy":{"strict":40}}\n',
    );
    const error = await asyncErrorOf(readEvaluations(asLines));
    expect(error.message).toContain(`${asLines}:2: "accuracy.strict" of "final" is 40; use a fraction`);
    const broken = join(dir, "d.json");
    writeFileSync(broken, "{");
    expect((await asyncErrorOf(readEvaluations(broken))).message).toMatch(/d\.json: not valid JSON/);
  });
});
