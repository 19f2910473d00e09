import { assertInteger, ConfigError, type Rng, shuffleInPlace } from "@rlts/core";
import { seededRng } from "./seeding.js";

/** The splits a {@link PromptTask} may hold. */
export type PromptSplit = "train" | "test";

/** The splits, in a stable order. */
export const promptSplits: readonly PromptSplit[] = ["train", "test"];

/** One prompt with its reference answer and every field of its row. */
export interface PromptExample {
  /** Unique within the task and stable across runs, e.g. `"test.jsonl:17"` or `"arithmetic/train/5"`. */
  readonly id: string;
  /** The question as written in the data, before any chat template. */
  readonly question: string;
  /** The reference final answer as canonical text: `"18"`, `"2125"` (GSM8K's `2,125`), `"-3"`. */
  readonly answer: string;
  /** A worked solution, where the source has one (GSM8K's reasoning, the arithmetic steps). */
  readonly solution?: string;
  /**
   * Every field of the row, for `RewardInput.fields`: `question`, `answer` (the final answer, a number
   * when it is one), `solution`, and whatever else the source holds (difficulty, raw text...).
   */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** How {@link PromptTask.iterate} orders prompts. */
export interface PromptIterateOptions {
  /** Which split. Default `"train"`. */
  readonly split?: PromptSplit;
  /** Seed of the shuffle. Default 0. */
  readonly seed?: number;
  /** Shuffle each epoch (a new permutation per epoch). Default true; false keeps file order. */
  readonly shuffle?: boolean;
  /** Passes over the split before the iterator ends. Default `Infinity` (a training stream). */
  readonly epochs?: number;
}

const iterateDefaults = { split: "train", seed: 0, shuffle: true, epochs: Number.POSITIVE_INFINITY } as const;

/**
 * A source of prompts for LLM training, the prompt-side counterpart of an {@link Env}: fixed train and
 * test splits, random access, and a seeded, resumable order over epochs. Rewards score completions
 * against `example.answer` / `example.fields`.
 */
export interface PromptTask {
  /** A short name for logs, e.g. `"gsm8k"` or `"arithmetic"`. */
  readonly name: string;
  /** Number of examples in `split` (0 when the task has none). */
  size(split: PromptSplit): number;
  /** Example `index` of `split`. Throws on an index out of range. */
  get(split: PromptSplit, index: number): PromptExample;
  /** All examples of `split`, in source order. */
  examples(split: PromptSplit): readonly PromptExample[];
  /** A seeded stream over `split`, epoch after epoch. */
  iterate(options?: PromptIterateOptions): PromptIterator;
}

/** Where a {@link PromptIterator} is: restore it with {@link PromptIterator.setState}. */
export interface PromptIteratorState {
  readonly epoch: number;
  readonly position: number;
}

/**
 * A seeded stream over one split. Epoch `k` is the `k`-th permutation drawn from `seededRng(seed)`
 * (one `split()` of the generator per epoch), so the order depends only on the seed and can be
 * resumed from `{ epoch, position }`.
 */
export class PromptIterator implements IterableIterator<PromptExample> {
  private readonly items: readonly PromptExample[];
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly epochs: number;
  private root!: Rng;
  private order!: Int32Array;
  private currentEpoch = 0;
  private currentPosition = 0;

  constructor(items: readonly PromptExample[], options: PromptIterateOptions = {}) {
    this.items = items;
    this.shuffle = options.shuffle ?? iterateDefaults.shuffle;
    this.seed = options.seed ?? iterateDefaults.seed;
    this.epochs = options.epochs ?? iterateDefaults.epochs;
    if (!Number.isSafeInteger(this.seed))
      throw new ConfigError("prompts.seed", options.seed, "use a whole number");
    if (this.epochs !== Number.POSITIVE_INFINITY) assertInteger("prompts.epochs", this.epochs, 1);
    if (items.length === 0) {
      throw new ConfigError(
        `prompts.split`,
        options.split ?? iterateDefaults.split,
        "this split holds no examples; choose a split the task has",
      );
    }
    this.setState({ epoch: 0, position: 0 });
  }

  /** The epoch of the next example (0-based). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** Index within the epoch of the next example. */
  get position(): number {
    return this.currentPosition;
  }

  /** Examples per epoch. */
  get epochSize(): number {
    return this.items.length;
  }

  getState(): PromptIteratorState {
    return { epoch: this.currentEpoch, position: this.currentPosition };
  }

  /** Jumps to `state` (from {@link getState}); the order from there is the same as an uninterrupted run. */
  setState(state: PromptIteratorState): void {
    assertInteger("prompts.state.epoch", state.epoch, 0);
    assertInteger("prompts.state.position", state.position, 0);
    if (state.position > this.items.length) {
      throw new ConfigError(
        "prompts.state.position",
        state.position,
        `use a position ≤ ${this.items.length}`,
      );
    }
    this.root = seededRng(this.seed);
    this.currentEpoch = 0;
    this.order = this.permutation();
    while (this.currentEpoch < state.epoch) {
      this.currentEpoch++;
      this.order = this.permutation();
    }
    this.currentPosition = state.position;
  }

  next(): IteratorResult<PromptExample> {
    if (this.currentPosition >= this.items.length) {
      if (this.currentEpoch + 1 >= this.epochs) return { done: true, value: undefined };
      this.currentEpoch++;
      this.currentPosition = 0;
      this.order = this.permutation();
    }
    return { done: false, value: this.items[this.order[this.currentPosition++]] };
  }

  /** Up to `n` examples (fewer only when the last epoch runs out), crossing epoch boundaries. */
  nextBatch(n: number): PromptExample[] {
    assertInteger("prompts.batchSize", n, 1);
    const batch: PromptExample[] = [];
    while (batch.length < n) {
      const r = this.next();
      if (r.done) break;
      batch.push(r.value);
    }
    return batch;
  }

  [Symbol.iterator](): IterableIterator<PromptExample> {
    return this;
  }

  private permutation(): Int32Array {
    const n = this.items.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const rng = this.root.split();
    if (!this.shuffle) return order;
    return shuffleInPlace(order, rng);
  }
}

/** A {@link PromptTask} over examples held in memory; the loaders and generators build one. */
export class InMemoryPromptTask implements PromptTask {
  constructor(
    readonly name: string,
    private readonly splits: Readonly<Partial<Record<PromptSplit, readonly PromptExample[]>>>,
  ) {}

  size(split: PromptSplit): number {
    return this.examples(split).length;
  }

  get(split: PromptSplit, index: number): PromptExample {
    const items = this.examples(split);
    if (!Number.isInteger(index) || index < 0 || index >= items.length) {
      throw new ConfigError(
        `${this.name}.get(${split}, index)`,
        index,
        `use an index in [0, ${items.length})`,
      );
    }
    return items[index];
  }

  examples(split: PromptSplit): readonly PromptExample[] {
    if (!promptSplits.includes(split)) {
      throw new ConfigError(
        "prompts.split",
        split,
        `use one of ${promptSplits.map((s) => JSON.stringify(s)).join(", ")}`,
      );
    }
    return this.splits[split] ?? [];
  }

  iterate(options: PromptIterateOptions = {}): PromptIterator {
    return new PromptIterator(this.examples(options.split ?? iterateDefaults.split), options);
  }
}

/** Checks that a built plugin is a {@link PromptTask}. */
export function isPromptTask(value: unknown): value is PromptTask {
  const v = value as Partial<PromptTask> | null;
  return (
    typeof v === "object" && v !== null && typeof v.iterate === "function" && typeof v.examples === "function"
  );
}
