import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@rlts/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  DatasetFormatError,
  InMemoryPromptTask,
  loadJsonlTask,
  type PromptExample,
  parseGsm8kAnswer,
} from "../src/index.js";

const gsm8k = new URL("../../../data/gsm8k/test.jsonl", import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), "rlts-env-jsonl-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeJsonl(name: string, lines: string[]): string {
  const file = join(scratch, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

describe("loadJsonlTask on the GSM8K test split", () => {
  const task = loadJsonlTask({ files: { test: gsm8k } });
  const rows = task.examples("test");

  it("loads all 1,319 rows with a numeric final answer each", () => {
    expect(task.name).toBe("test");
    expect(task.size("test")).toBe(1319);
    expect(task.size("train")).toBe(0);
    expect(task.skipped).toEqual([]);
    for (const row of rows) {
      expect(row.answer).toMatch(/^-?\d+$/);
      expect(row.fields.answer).toBe(Number(row.answer));
      expect(row.question.length).toBeGreaterThan(10);
      expect(row.solution!.length).toBeGreaterThan(0);
      expect(row.solution).not.toContain("####");
      expect(row.solution).not.toContain("<<");
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(1319);
  });

  it("parses the first row as the dataset reads", () => {
    // Line 1: Janet's ducks; the answer text ends "#### 18".
    const first = rows[0];
    expect(first.id).toBe("test.jsonl:1");
    expect(first.question.startsWith("Janet")).toBe(true);
    expect(first.answer).toBe("18");
    expect(first.solution).toBe(
      "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day at the farmer’s market.",
    );
    expect(String(first.fields.rawAnswer).endsWith("#### 18")).toBe(true);
  });

  it("drops thousands separators: '#### 2,125' becomes 2125", () => {
    const withComma = rows.find((r) => String(r.fields.rawAnswer).endsWith("#### 2,125"));
    expect(withComma?.answer).toBe("2125");
    expect(withComma?.fields.answer).toBe(2125);
    expect(parseGsm8kAnswer("a\n#### -1,000")).toEqual({ answer: "-1000", solution: "a" });
    expect(parseGsm8kAnswer("no marker")).toBeUndefined();
  });

  it("draws a seeded test split of the requested fraction from one file", () => {
    const a = loadJsonlTask({ path: gsm8k, testFraction: 0.1, splitSeed: 1 });
    const b = loadJsonlTask({ path: fileURLToPath(gsm8k), testFraction: 0.1, splitSeed: 1 });
    const c = loadJsonlTask({ path: gsm8k, testFraction: 0.1, splitSeed: 2 });
    expect(a.size("test")).toBe(132); // round(0.1 · 1319)
    expect(a.size("train")).toBe(1187);
    expect(b.examples("test").map((r) => r.id)).toEqual(a.examples("test").map((r) => r.id));
    expect(c.examples("test").map((r) => r.id)).not.toEqual(a.examples("test").map((r) => r.id));
    const trainIds = new Set(a.examples("train").map((r) => r.id));
    expect(a.examples("test").some((r) => trainIds.has(r.id))).toBe(false);
  });
});

describe("malformed JSONL", () => {
  const good = JSON.stringify({ question: "1+1?", answer: "one and one\n#### 2" });
  const lines = [
    good,
    "",
    '{"question": "broken", "answer": ',
    JSON.stringify({ question: "no marker", answer: "3" }),
    "[1, 2]",
    JSON.stringify({ answer: "#### 4" }),
    good,
  ];

  it("stops at the first bad line, naming the file and the line number", () => {
    const file = writeJsonl("bad.jsonl", lines);
    expect(() => loadJsonlTask({ files: { train: file } })).toThrow(DatasetFormatError);
    try {
      loadJsonlTask({ files: { train: file } });
    } catch (error) {
      const e = error as DatasetFormatError;
      expect(e.file).toBe(file);
      expect(e.line).toBe(3);
      expect(e.message).toContain(`${file}:3`);
      expect(e.message).toMatch(/not valid JSON/);
    }
  });

  it("skips bad lines when asked, recording each with its line number and reason", () => {
    const file = writeJsonl("skip.jsonl", lines);
    const task = loadJsonlTask({ files: { train: file }, onError: "skip" });
    expect(task.size("train")).toBe(2);
    expect(task.examples("train").map((r) => r.id)).toEqual(["skip.jsonl:1", "skip.jsonl:7"]);
    expect(task.skipped.map((s) => s.line)).toEqual([3, 4, 5, 6]);
    expect(task.skipped[1].reason).toMatch(/####/);
    expect(task.skipped[2].reason).toMatch(/JSON object/);
    expect(task.skipped[3].reason).toMatch(/"question"/);
  });

  it("reads plain answers and custom field names", () => {
    const file = writeJsonl("plain.jsonl", [
      JSON.stringify({ q: "Capital of France?", a: "Paris", level: 1 }),
    ]);
    const task = loadJsonlTask({ path: file, questionField: "q", answerField: "a", answerFormat: "plain" });
    expect(task.get("train", 0)).toMatchObject({
      question: "Capital of France?",
      answer: "Paris",
      fields: { question: "Capital of France?", answer: "Paris", level: 1 },
    });
  });

  it("names the option for a missing file or bad settings", () => {
    expect(() => loadJsonlTask({ path: join(scratch, "missing.jsonl") })).toThrow(/prompts\.path/);
    expect(() => loadJsonlTask({ path: gsm8k, onError: "ignore" as "skip" })).toThrow(/prompts\.onError/);
    expect(() => loadJsonlTask({})).toThrow(ConfigError);
  });
});

describe("PromptIterator", () => {
  const items: PromptExample[] = Array.from({ length: 10 }, (_, i) => ({
    id: `p${i}`,
    question: `q${i}`,
    answer: String(i),
    fields: { question: `q${i}`, answer: i },
  }));
  const task = new InMemoryPromptTask("toy", { train: items, test: items.slice(0, 3) });
  const ids = (xs: PromptExample[]) => xs.map((x) => x.id);

  it("visits every prompt once per epoch, in a new seeded order each epoch", () => {
    const it1 = task.iterate({ seed: 4 });
    const e0 = ids(it1.nextBatch(10));
    const e1 = ids(it1.nextBatch(10));
    expect([...e0].sort()).toEqual([...ids(items)].sort());
    expect([...e1].sort()).toEqual([...ids(items)].sort());
    expect(e1).not.toEqual(e0);
    expect(ids(task.iterate({ seed: 4 }).nextBatch(20))).toEqual([...e0, ...e1]);
    expect(ids(task.iterate({ seed: 5 }).nextBatch(10))).not.toEqual(e0);
  });

  it("resumes from a saved state exactly where an uninterrupted run would be", () => {
    const full = ids(task.iterate({ seed: 9 }).nextBatch(37));
    const first = task.iterate({ seed: 9 });
    first.nextBatch(23);
    const state = first.getState();
    expect(state).toEqual({ epoch: 2, position: 3 });
    const resumed = task.iterate({ seed: 9 });
    resumed.setState(state);
    expect(ids(resumed.nextBatch(14))).toEqual(full.slice(23));
  });

  it("ends after the requested epochs; without shuffle it keeps source order", () => {
    const it2 = task.iterate({ split: "test", epochs: 2, shuffle: false });
    expect(ids([...it2])).toEqual(["p0", "p1", "p2", "p0", "p1", "p2"]);
    expect(it2.nextBatch(5)).toEqual([]);
  });

  it("rejects an empty split and bad settings by field", () => {
    const empty = new InMemoryPromptTask("empty", { train: items });
    expect(() => empty.iterate({ split: "test" })).toThrow(/prompts\.split/);
    expect(() => task.iterate({ epochs: 0 })).toThrow(/prompts\.epochs/);
    expect(() => task.get("train", 10)).toThrow(/index/);
  });
});
