import type { Rng } from "@rlts/core";

/** An Rng that returns the given uniforms (and normals) in order and counts the draws. */
export function scriptedRng(uniforms: readonly number[], normals: readonly number[] = []) {
  let u = 0;
  let n = 0;
  const rng: Rng = {
    next() {
      if (u >= uniforms.length) throw new Error(`draw ${u + 1}: only ${uniforms.length} uniforms scripted`);
      return uniforms[u++];
    },
    normal() {
      if (n >= normals.length) throw new Error(`normal ${n + 1}: only ${normals.length} normals scripted`);
      return normals[n++];
    },
    int() {
      throw new Error("int() is not expected");
    },
    split() {
      throw new Error("split() is not expected");
    },
    getState() {
      throw new Error("getState() is not expected");
    },
  };
  return { rng, uniformsDrawn: () => u, normalsDrawn: () => n };
}
