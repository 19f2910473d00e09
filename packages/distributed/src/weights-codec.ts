import type { NamedTensor, Weights } from "@rlts/core";
import { ShapeError } from "@rlts/core";

const MAGIC = "RLTSW1";

interface Entry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly length: number;
}

/**
 * Serialises weights to one buffer: the magic `RLTSW1`, a uint32 (little endian) header length, a JSON
 * header of names and shapes, then every tensor's float32 data in header order (little endian). The
 * same weights always give the same bytes, so the buffer's hash can address it.
 */
export function encodeWeights(weights: Weights): Buffer {
  const entries: Entry[] = [...weights].map(([name, t]) => ({
    name,
    shape: [...t.shape],
    length: t.data.length,
  }));
  const header = Buffer.from(JSON.stringify(entries), "utf8");
  const dataBytes = entries.reduce((s, e) => s + e.length * 4, 0);
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + dataBytes);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  let offset = MAGIC.length + 4 + header.length;
  for (const [, t] of weights) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    bytes.copy(out, offset);
    offset += bytes.length;
  }
  return out;
}

/** Reads a buffer written by {@link encodeWeights}; `source` names it in errors. */
export function decodeWeights(buffer: Uint8Array, source = "weights"): Weights {
  const buf = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buf.length < MAGIC.length + 4 || buf.toString("latin1", 0, MAGIC.length) !== MAGIC) {
    throw new ShapeError(
      source,
      `a weights buffer starting ${MAGIC} (written by encodeWeights)`,
      `${buf.length} bytes without it`,
    );
  }
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  const entries = JSON.parse(buf.toString("utf8", headerStart, headerStart + headerLength)) as Entry[];
  let offset = headerStart + headerLength;
  const out = new Map<string, NamedTensor>();
  for (const e of entries) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (size !== e.length || offset + e.length * 4 > buf.length) {
      throw new ShapeError(
        `${source}: ${e.name}`,
        `${size} floats of shape [${e.shape}] inside the buffer`,
        `${e.length} floats, ${buf.length - offset} bytes left (truncated?)`,
      );
    }
    // Copy into a fresh, aligned array: the Redis/file buffer may start at any byte.
    const data = new Float32Array(e.length);
    Buffer.from(data.buffer).set(buf.subarray(offset, offset + e.length * 4));
    out.set(e.name, { shape: e.shape, data });
    offset += e.length * 4;
  }
  return out;
}
