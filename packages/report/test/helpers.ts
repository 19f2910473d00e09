import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { afterEach } from "vitest";

const made: string[] = [];

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rlts-report-"));
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Parses SVG text as XML, failing on any well-formedness error (xmldom reports them through onError). */
export function parseXml(text: string) {
  return new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`not well-formed XML: ${message}`);
    },
  }).parseFromString(text, "image/svg+xml");
}

/** Every element below `root` whose class list contains all of `classes`. */
export function byClass(
  root: { getElementsByTagName(name: string): ArrayLike<Element> },
  ...classes: string[]
) {
  return Array.from(root.getElementsByTagName("*")).filter((el) => {
    const list = (el.getAttribute("class") ?? "").split(/\s+/);
    return classes.every((c) => list.includes(c));
  });
}

/** Text of every <text> element under groups with these classes, in document order. */
export function texts(root: Parameters<typeof byClass>[0], ...classes: string[]): string[] {
  return byClass(root, ...classes).flatMap((g) =>
    Array.from(g.getElementsByTagName("text")).map((t) => t.textContent ?? ""),
  );
}

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature (PNG spec §5.2, §11.2.2). */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error("not a PNG: bad signature");
  // The first chunk starts at byte 8: 4-byte length, then the type "IHDR", then width and height.
  if (bytes.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG: first chunk is not IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The first `n` GSM8K test questions shipped with the repo. */
export function gsm8kQuestions(n: number): { question: string; answer: string }[] {
  const file = new URL("../../../data/gsm8k/test.jsonl", import.meta.url);
  return readFileSync(file, "utf8")
    .split("\n")
    .slice(0, n)
    .map((line) => JSON.parse(line) as { question: string; answer: string });
}
