import { isSpace } from "./text.js";

/** Options of {@link parseTaggedCompletion}. */
export interface TaggedFormatOptions {
  /** The tags, in order, that make up the whole completion. Default `["think", "answer"]`. */
  readonly tags?: readonly string[];
  /** Whether a tag may hold only white space. Default `false`: `<think></think>` is malformed. */
  readonly allowEmpty?: boolean;
}

/** Defaults of {@link TaggedFormatOptions}. */
export const taggedFormatDefaults = {
  tags: ["think", "answer"],
  allowEmpty: false,
} as const satisfies Required<TaggedFormatOptions>;

function skipSpaces(text: string, p: number): number {
  while (p < text.length && isSpace(text.charCodeAt(p))) p++;
  return p;
}

/**
 * Reads a completion of the exact shape `<think>…</think> <answer>…</answer>` (or the configured tags
 * in order): white space may surround the blocks, nothing else may, no block may contain an opening or
 * closing tag of any configured name, and each block holds more than white space unless `allowEmpty`.
 * Returns the contents of the blocks in order (untrimmed), or `null` when the completion is malformed.
 * Linear: one `indexOf` pass per tag.
 */
export function parseTaggedCompletion(text: string, options: TaggedFormatOptions = {}): string[] | null {
  if (typeof text !== "string") return null;
  const tags = options.tags ?? taggedFormatDefaults.tags;
  const allowEmpty = options.allowEmpty ?? taggedFormatDefaults.allowEmpty;
  const markers = tags.flatMap((tag) => [`<${tag}>`, `</${tag}>`]);
  const contents: string[] = [];
  let p = skipSpaces(text, 0);
  for (const tag of tags) {
    const open = `<${tag}>`;
    const close = `</${tag}>`;
    if (!text.startsWith(open, p)) return null;
    const start = p + open.length;
    const end = text.indexOf(close, start);
    if (end < 0) return null;
    const content = text.slice(start, end);
    for (const marker of markers) if (content.includes(marker)) return null;
    if (!allowEmpty && skipSpaces(content, 0) === content.length) return null;
    contents.push(content);
    p = skipSpaces(text, end + close.length);
  }
  return p === text.length ? contents : null;
}
