import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { answersMatch, extractAnswer, normalizeAnswer, referenceAnswer } from "../src/index.js";

const rows = readFileSync(new URL("../../../data/gsm8k/test.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as { question: string; answer: string });

// Independent of the package: split on "####", drop commas, read as a BigInt.
function goldBySplit(answer: string): string {
  const parts = answer.split("####");
  return BigInt(parts[parts.length - 1].trim().replaceAll(",", "")).toString();
}

describe("GSM8K test split references", () => {
  it("has the 1,319 rows of the test split", () => {
    expect(rows.length).toBe(1319);
  });

  it("extracts the number after #### from every answer field (gsm8k and auto formats)", () => {
    const failures: string[] = [];
    for (const [i, row] of rows.entries()) {
      const gold = goldBySplit(row.answer);
      for (const format of ["gsm8k", "auto"] as const) {
        const extracted = extractAnswer(row.answer, { format });
        if (extracted === null || normalizeAnswer(extracted) !== gold || !answersMatch(extracted, gold)) {
          failures.push(`row ${i} (${format}): got ${JSON.stringify(extracted)}, want ${gold}`);
        }
      }
      const reference = referenceAnswer(row.answer);
      if (reference === null || !answersMatch(reference, gold))
        failures.push(`row ${i} (reference): ${reference}`);
    }
    expect(failures).toEqual([]);
  });

  it("does not match a neighbouring number (the check can fail)", () => {
    let mismatches = 0;
    for (const row of rows) {
      const gold = BigInt(goldBySplit(row.answer));
      if (!answersMatch(extractAnswer(row.answer, { format: "gsm8k" })!, (gold + 1n).toString()))
        mismatches++;
    }
    expect(mismatches).toBe(rows.length);
  });

  it("reads the comma-grouped references as plain integers", () => {
    // Rows whose answer has thousands separators, e.g. "#### 1,450,000".
    const grouped = rows.filter((row) => /####\s*-?\d{1,3}(,\d{3})+\s*$/.test(row.answer));
    expect(grouped.length).toBeGreaterThan(10);
    for (const row of grouped) {
      expect(normalizeAnswer(extractAnswer(row.answer, { format: "gsm8k" })!)).toBe(goldBySplit(row.answer));
    }
  });
});
