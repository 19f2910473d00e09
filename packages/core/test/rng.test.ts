import { describe, expect, it } from "vitest";
import {
  ConfigError,
  createRng,
  mean,
  permutation,
  rngFromState,
  shuffleInPlace,
  standardDeviation,
} from "../src/index.js";

const draw = (rng: { next(): number }, n: number) => Array.from({ length: n }, () => rng.next());

describe("Rng", () => {
  it("repeats the same stream for the same seed and differs for another", () => {
    expect(draw(createRng(42), 5)).toEqual(draw(createRng(42), 5));
    expect(draw(createRng(42), 5)).not.toEqual(draw(createRng(43), 5));
  });

  it("restores from a saved state mid-stream", () => {
    const rng = createRng(3);
    draw(rng, 10);
    const saved = rng.getState();
    const expected = draw(rng, 5);
    expect(draw(rngFromState(JSON.parse(JSON.stringify(saved))), 5)).toEqual(expected);
  });

  it("splits into a stream that does not repeat the parent's", () => {
    const parent = createRng(9);
    const child = parent.split();
    const a = draw(parent, 1000);
    const b = new Set(draw(child, 1000));
    expect(a.filter((x) => b.has(x))).toEqual([]);
    // Splitting is itself deterministic.
    const again = createRng(9);
    expect(draw(again.split(), 3)).toEqual(draw(createRng(9).split(), 3));
  });

  it("draws uniforms in [0,1) with mean 1/2 and normals with mean 0, variance 1", () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sumN = 0;
    let sumN2 = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = rng.normal();
      sumN += z;
      sumN2 += z * z;
    }
    // Standard errors: uniform mean 1/sqrt(12n) ≈ 6.5e-4; normal mean 1/sqrt(n) ≈ 2.2e-3.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 * 6.5e-4);
    expect(Math.abs(sumN / n)).toBeLessThan(4 * 2.2e-3);
    expect(Math.abs(sumN2 / n - 1)).toBeLessThan(0.02);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it("draws integers uniformly in [0, n)", () => {
    const rng = createRng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.int(3)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => rng.int(0)).toThrow(ConfigError);
  });

  it("gives unrelated first draws for neighbouring small seeds", () => {
    // 64 seeds' first uniforms should look like 64 independent uniforms: spread over [0,1) (not all near
    // one value) — with xoroshiro seeded directly by a small integer they are all ≈ 0.99999.
    const first = Array.from({ length: 64 }, (_, seed) => createRng(seed).next());
    const below = first.filter((u) => u < 0.5).length;
    expect(below).toBeGreaterThan(16);
    expect(below).toBeLessThan(48);
    expect(new Set(first.map((u) => Math.floor(u * 8))).size).toBeGreaterThanOrEqual(6);
  });

  it("rejects a non-integer seed naming the field", () => {
    expect(() => createRng(1.5)).toThrow(/seed: got 1.5/);
  });

  it("shuffles by Fisher–Yates: swaps i with rng.int(i + 1) from the end, every permutation equally often", () => {
    // The same draws by hand: for n = 4 the swaps are (3, j3), (2, j2), (1, j1) with j_i = int(i + 1).
    const draws = createRng(9);
    const expected = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = draws.int(i + 1);
      [expected[i], expected[j]] = [expected[j], expected[i]];
    }
    expect([...permutation(4, createRng(9))]).toEqual(expected);
    expect(shuffleInPlace(["a", "b", "c", "d"], createRng(9))).toEqual(expected.map((i) => "abcd"[i]));
    // 24 permutations of 4: each about 24 000/24 = 1 000 times (binomial sd ≈ 31).
    const rng = createRng(10);
    const counts = new Map<string, number>();
    for (let r = 0; r < 24_000; r++) {
      const key = permutation(4, rng).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(160);
  });
});

describe("mean and standardDeviation", () => {
  it("match hand-worked values, with NaN for no values", () => {
    // [1, 2, 4]: mean 7/3; Σ(x − m)² = 16/9 + 1/9 + 25/9 = 42/9; population sqrt(42/27), sample sqrt(42/18)
    expect(mean([1, 2, 4])).toBeCloseTo(7 / 3, 14);
    expect(standardDeviation([1, 2, 4])).toBeCloseTo(Math.sqrt(42 / 27), 14);
    expect(standardDeviation([1, 2, 4], { sample: true })).toBeCloseTo(Math.sqrt(42 / 18), 14);
    expect(standardDeviation([5], { sample: true })).toBe(0);
    expect(mean([])).toBeNaN();
    expect(standardDeviation([])).toBeNaN();
  });
});
