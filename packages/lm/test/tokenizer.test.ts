import { describe, expect, it } from "vitest";
import { CharTokenizer } from "../src/index.js";

describe("CharTokenizer", () => {
  const tok = CharTokenizer.fromText("cab", { multiCharTokens: ["<think>", "</think>"] });

  it("puts specials first, then multi-character tokens, then sorted characters", () => {
    expect(tok.vocab).toEqual(["<pad>", "<bos>", "<eos>", "<unk>", "<think>", "</think>", "a", "b", "c"]);
  });

  it("matches multi-character tokens greedily and maps unknown characters to <unk>", () => {
    const ids = tok.encode("a<think>b</think>z", { bos: true, eos: true });
    expect([...ids]).toEqual([1, 6, 4, 7, 5, 3, 2]);
    expect(tok.decode(ids)).toBe("<bos>a<think>b</think><unk><eos>");
    expect(tok.decode(ids, { skipSpecial: true })).toBe("a<think>b</think>");
  });

  it("round-trips through JSON and rejects bad vocabularies and ids", () => {
    const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
    expect(back.vocab).toEqual(tok.vocab);
    expect(() => new CharTokenizer(["a", "b"])).toThrow(/tokenizer\.vocab\[0\]/);
    expect(() => tok.decode([99])).toThrow(/ids\[0\]/);
  });
});
