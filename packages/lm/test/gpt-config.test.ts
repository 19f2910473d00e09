import { ConfigError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { resolveGptConfig } from "../src/index.js";

describe("resolveGptConfig", () => {
  const shape = { vocabSize: 12, contextLength: 8, dModel: 16, nLayers: 2, nHeads: 4 };

  it("fills in dFF = 4·dModel and untied embeddings, and keeps only the config's fields", () => {
    expect(resolveGptConfig(shape)).toEqual({ ...shape, dFF: 64, tieEmbeddings: false });
    const options = { ...shape, dFF: 24, tieEmbeddings: true, seed: 3, kvCache: false };
    expect(resolveGptConfig(options)).toEqual({ ...shape, dFF: 24, tieEmbeddings: true });
    expect(resolveGptConfig({ ...shape, nLayers: 0 }).nLayers).toBe(0);
  });

  it("names the field and the fix in every error", () => {
    const cases: [object, RegExp][] = [
      [{ vocabSize: 1 }, /model\.vocabSize.*whole number ≥ 2/],
      [{ contextLength: 0 }, /model\.contextLength/],
      [{ dModel: 2.5 }, /model\.dModel/],
      [{ nLayers: -1 }, /model\.nLayers/],
      [{ nHeads: 0 }, /model\.nHeads/],
      [{ nHeads: 3 }, /model\.nHeads.*divisor of dModel \(16\)/],
      [{ dFF: 0 }, /model\.dFF/],
    ];
    for (const [change, message] of cases) {
      expect(() => resolveGptConfig({ ...shape, ...change })).toThrow(ConfigError);
      expect(() => resolveGptConfig({ ...shape, ...change })).toThrow(message);
    }
    expect(() => resolveGptConfig(null as never)).toThrow(/model.*vocabSize, contextLength/);
  });
});
