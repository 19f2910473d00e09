import { createHash } from "node:crypto";
import { ShapeError } from "@rlts/core";
import { describe, expect, it } from "vitest";
import { decodeWeights, encodeWeights } from "../src/index.js";

const weights = new Map([
  ["a", { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
  ["b", { shape: [3], data: Float32Array.from([0.5, -1, 2]) }],
]);

describe("weights codec", () => {
  it("lays out magic, header length, JSON header, then little-endian float32 data", () => {
    const bytes = encodeWeights(weights);
    const header = '[{"name":"a","shape":[2,2],"length":4},{"name":"b","shape":[3],"length":3}]';
    // 6 bytes magic + 4 bytes length + header + 7 floats × 4 bytes.
    expect(bytes.length).toBe(6 + 4 + header.length + 28);
    expect(bytes.toString("latin1", 0, 6)).toBe("RLTSW1");
    expect(bytes.readUInt32LE(6)).toBe(header.length);
    expect(bytes.toString("utf8", 10, 10 + header.length)).toBe(header);
    const data = 10 + header.length;
    // 1.0f is 0x3f800000; 0.5f is 0x3f000000 (5th float); -1.0f is 0xbf800000 (6th).
    expect(bytes.readUInt32LE(data)).toBe(0x3f800000);
    expect(bytes.readUInt32LE(data + 16)).toBe(0x3f000000);
    expect(bytes.readUInt32LE(data + 20)).toBe(0xbf800000);
  });

  it("decodes what it encodes, from any byte offset, and equal weights give equal hashes", () => {
    const bytes = encodeWeights(weights);
    // An odd offset: Redis and file buffers need not be 4-byte aligned.
    const shifted = Buffer.alloc(bytes.length + 1);
    bytes.copy(shifted, 1);
    const back = decodeWeights(shifted.subarray(1));
    expect([...back.keys()]).toEqual(["a", "b"]);
    expect(back.get("a")).toEqual({ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
    expect(back.get("b")).toEqual({ shape: [3], data: Float32Array.from([0.5, -1, 2]) });
    const hash = (w: typeof weights) => createHash("sha256").update(encodeWeights(w)).digest("hex");
    const copy = new Map([...weights].map(([k, t]) => [k, { shape: t.shape, data: t.data.slice() }]));
    expect(hash(copy)).toBe(hash(weights));
    copy.get("b")!.data[2] = 2.5;
    expect(hash(copy)).not.toBe(hash(weights));
  });

  it("rejects buffers that are not weights or are cut short, naming the source", () => {
    expect(() => decodeWeights(Buffer.from("hello world"), "version 3")).toThrow(ShapeError);
    expect(() => decodeWeights(Buffer.from("hello world"), "version 3")).toThrow(/version 3/);
    const bytes = encodeWeights(weights);
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 4), "version 4")).toThrow(
      /version 4: b.*truncated/,
    );
  });
});
