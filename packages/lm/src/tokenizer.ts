import { ConfigError } from "@rlts/core";

/** The special tokens every {@link CharTokenizer} has, at ids 0–3. */
export const specialTokens = { pad: "<pad>", bos: "<bos>", eos: "<eos>", unk: "<unk>" } as const;

/** JSON form of a {@link CharTokenizer}: its vocabulary in id order. */
export interface CharTokenizerJson {
  readonly type: "rlts-char-tokenizer";
  readonly version: 1;
  /** Every token in id order: the 4 specials, then multi-character tokens, then single characters. */
  readonly vocab: readonly string[];
}

/** Options of {@link CharTokenizer.fromText}. */
export interface CharTokenizerOptions {
  /** Extra tokens longer than one character, matched greedily as single tokens (e.g. "<think>"). */
  readonly multiCharTokens?: readonly string[];
}

/**
 * A character-level tokenizer with special tokens `<pad>`=0, `<bos>`=1, `<eos>`=2, `<unk>`=3 and
 * optional multi-character tokens. Encoding matches the longest multi-character token (specials
 * included) at each position, else one character (a Unicode code point); unknown characters map to
 * `<unk>`.
 */
export class CharTokenizer {
  /** Id of `<pad>`. */
  readonly padId = 0;
  /** Id of `<bos>`. */
  readonly bosId = 1;
  /** Id of `<eos>`. */
  readonly eosId = 2;
  /** Id of `<unk>`. */
  readonly unkId = 3;
  private readonly ids = new Map<string, number>();
  private readonly multi: string[];

  constructor(readonly vocab: readonly string[]) {
    const specials = Object.values(specialTokens);
    specials.forEach((s, i) => {
      if (vocab[i] !== s) {
        throw new ConfigError(
          `tokenizer.vocab[${i}]`,
          vocab[i],
          `the first four tokens must be ${specials.join(", ")}`,
        );
      }
    });
    vocab.forEach((t, i) => {
      if (typeof t !== "string" || t.length === 0)
        throw new ConfigError(`tokenizer.vocab[${i}]`, t, "use a non-empty string");
      if (this.ids.has(t)) throw new ConfigError(`tokenizer.vocab[${i}]`, t, "list each token once");
      this.ids.set(t, i);
    });
    this.multi = vocab.filter((t) => [...t].length > 1).sort((a, b) => b.length - a.length);
  }

  /** Builds a vocabulary from the characters of `text` (sorted by code point) plus multi-character tokens. */
  static fromText(text: string, options: CharTokenizerOptions = {}): CharTokenizer {
    const multi = [...new Set(options.multiCharTokens ?? [])];
    multi.forEach((t, i) => {
      if (typeof t !== "string" || [...t].length < 2) {
        throw new ConfigError(`tokenizer.multiCharTokens[${i}]`, t, "use strings of two or more characters");
      }
    });
    const specials = Object.values(specialTokens) as string[];
    const chars = [...new Set([...text])].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer([...specials, ...multi.filter((t) => !specials.includes(t)), ...chars]);
  }

  /** Restores a tokenizer from {@link toJSON}'s output. */
  static fromJSON(json: CharTokenizerJson): CharTokenizer {
    if (json?.type !== "rlts-char-tokenizer" || !Array.isArray(json.vocab)) {
      throw new ConfigError("tokenizer", json, "pass the object returned by tokenizer.toJSON()");
    }
    return new CharTokenizer(json.vocab);
  }

  /** Number of tokens (the model's vocabSize). */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Token ids of `text`; `bos`/`eos` add those specials at the ends. */
  encode(text: string, options: { readonly bos?: boolean; readonly eos?: boolean } = {}): Int32Array {
    const out: number[] = options.bos ? [this.bosId] : [];
    let i = 0;
    while (i < text.length) {
      const match = this.multi.find((t) => text.startsWith(t, i));
      if (match) {
        out.push(this.ids.get(match)!);
        i += match.length;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      out.push(this.ids.get(ch) ?? this.unkId);
      i += ch.length;
    }
    if (options.eos) out.push(this.eosId);
    return Int32Array.from(out);
  }

  /** Text of `ids`; `skipSpecial` drops `<pad>`, `<bos>`, `<eos>` (and `<unk>`). Unknown ids throw. */
  decode(ids: ArrayLike<number>, options: { readonly skipSpecial?: boolean } = {}): string {
    let out = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const token = this.vocab[id];
      if (token === undefined) {
        throw new ConfigError(`ids[${i}]`, id, `use token ids in [0, ${this.vocabSize - 1}]`);
      }
      if (options.skipSpecial && id < 4) continue;
      out += token;
    }
    return out;
  }

  /** The id of one token string, or undefined. */
  tokenId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** JSON-serialisable form; restore with {@link CharTokenizer.fromJSON}. */
  toJSON(): CharTokenizerJson {
    return { type: "rlts-char-tokenizer", version: 1, vocab: [...this.vocab] };
  }
}
