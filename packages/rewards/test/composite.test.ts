import {
  ConfigError,
  createContainer,
  createPlugin,
  getRegistry,
  PluginNotFoundError,
  type RewardCallOptions,
  type RewardFunction,
  type RewardInput,
} from "@rlts/core";
import { describe, expect, it } from "vitest";
import { CompositeReward, compositeMetrics, isDetailedReward, register } from "../src/index.js";

const inputs = (n: number): RewardInput[] =>
  Array.from({ length: n }, (_, i) => ({ prompt: "p", completion: `c${i}`, fields: { i } }));

/** A reward that returns the given scores (by input index). */
function fixed(name: string, scores: readonly (number | null)[]): RewardFunction {
  return { name, score: (batch) => batch.map((x) => scores[(x.fields as { i: number }).i]) };
}

/** Throws on any batch holding sample `bad`. */
function throwsOn(name: string, bad: number, value = 1): RewardFunction {
  return {
    name,
    score: (batch) =>
      batch.map((x) => {
        if ((x.fields as { i: number }).i === bad) throw new Error(`cannot grade sample ${bad}`);
        return value;
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("composite aggregation (worked by hand)", () => {
  // A (w = 1): [1, 0, null]; B (w = 3): [0.5, 1, 1].
  const parts = () => [
    { reward: fixed("a", [1, 0, null]), weight: 1 },
    { reward: fixed("b", [0.5, 1, 1]), weight: 3 },
  ];

  it("sum_then_normalize: weighted sum over the components that scored (TRL's nansum)", async () => {
    // TRL `(rewards_per_func * reward_weights).nansum(dim=1)`; the advantage estimator normalises it.
    // i0: 1·1 + 3·0.5 = 2.5; i1: 0 + 3·1 = 3; i2: A abstains → 3·1 = 3.
    const result = await new CompositeReward(parts()).scoreDetailed(inputs(3));
    expect(result.total).toEqual([2.5, 3, 3]);
    expect(result.components).toEqual({ a: [1, 0, null], b: [0.5, 1, 1] });
    expect(result.errors).toEqual({ a: [null, null, null], b: [null, null, null] });
    expect(result.labels).toEqual(["a", "b"]);
  });

  it("sum: an alias of sum_then_normalize (the same weighted nan-sum)", async () => {
    // i0: 1 + 1.5 = 2.5; i1: 0 + 3 = 3; i2: 3.
    expect(await new CompositeReward(parts(), { aggregation: "sum" }).score(inputs(3))).toEqual([2.5, 3, 3]);
  });

  it("sum_then_normalize: a sample scored only by weight-0 components is 0, not abstained (TRL)", async () => {
    // TRL marks a completion unscorable only when every reward function returned None.
    const reward = new CompositeReward([
      { reward: fixed("logged", [1, null]), weight: 0 },
      { reward: fixed("b", [null, null]), weight: 2 },
    ]);
    expect(await reward.score(inputs(2))).toEqual([0, null]);
  });

  it("normalize_then_sum: z-score each component within each group, then weighted sum", async () => {
    // One group (ids [5, 5, 5]):
    // A over [1, 0]: mean 0.5, sample std √0.5 = 0.7071068 → z = ±0.5/(0.7071068 + 1e-4) = ±0.7070068.
    // B over [0.5, 1, 1]: mean 0.8333333, sample std √(0.1666667/2) = 0.2886751
    //   → z = (−0.3333333, 0.1666667, 0.1666667)/0.2887751 = (−1.1543007, 0.5771503, 0.5771503).
    // i0: 0.7070068 + 3·(−1.1543007) = −2.7558952; i1: −0.7070068 + 3·0.5771503 = 1.0244442; i2: 1.7314510.
    const reward = new CompositeReward(parts(), { aggregation: "normalize_then_sum" });
    const total = await reward.score(inputs(3), { groupIds: [5, 5, 5] });
    expect(total[0]).toBeCloseTo(-2.7558952, 6);
    expect(total[1]).toBeCloseTo(1.0244442, 6);
    expect(total[2]).toBeCloseTo(1.731451, 6);
  });

  it("normalize_then_sum: groups are normalised apart, wherever their samples sit", async () => {
    // Groups by id: 0 → samples 0, 2; 1 → samples 1, 3.
    // A = [1, 4, 0, 6] (w 1): group 0 [1, 0] → z = ±0.5/(√0.5 + 1e-4); group 1 [4, 6] → z = ∓1/(√2 + 1e-4).
    // B = [2, 2, 2, 2] (w 3): every group all equal → z = 0.
    const reward = new CompositeReward(
      [
        { reward: fixed("a", [1, 4, 0, 6]), weight: 1 },
        { reward: fixed("b", [2, 2, 2, 2]), weight: 3 },
      ],
      { aggregation: "normalize_then_sum" },
    );
    const za = 0.5 / (Math.SQRT1_2 + 1e-4);
    const zb = 1 / (Math.SQRT2 + 1e-4);
    const total = (await reward.score(inputs(4), { groupIds: [0, 1, 0, 1] })) as number[];
    const expected = [za, -zb, -za, zb];
    for (let i = 0; i < 4; i++) expect(total[i]).toBeCloseTo(expected[i], 12);
    // A group of one has no spread (TRL: std_k := 0 for one generation): z = 0.
    expect(await reward.score(inputs(4), { groupIds: [0, 1, 2, 3] })).toEqual([0, 0, 0, 0]);
  });

  it("normalize_then_sum needs the group of each input, and says so", async () => {
    const reward = new CompositeReward(parts(), { aggregation: "normalize_then_sum" });
    await expect(reward.score(inputs(3))).rejects.toThrow(ConfigError);
    await expect(reward.score(inputs(3))).rejects.toThrow(
      /groupIds: got undefined; .*one group id per input/,
    );
    await expect(reward.score(inputs(3), { groupIds: [0, 0] })).rejects.toThrow(/groupIds/);
    await expect(reward.score(inputs(3), { groupIds: [0, 0.5, 1] })).rejects.toThrow(/groupIds\[1\]/);
    // A trainer may hand over Batch.groupIds (an Int32Array) as it is.
    const typed = Int32Array.of(5, 5, 5) as unknown as number[];
    expect(await reward.score(inputs(3), { groupIds: typed })).toEqual(
      await reward.score(inputs(3), { groupIds: [5, 5, 5] }),
    );
  });

  it("passes the group ids on to its components (each sample's own when re-grading one alone)", async () => {
    const seen: (readonly number[] | undefined)[] = [];
    const recorder: RewardFunction = {
      name: "recorder",
      score: (batch, options) => {
        seen.push(options?.groupIds);
        if (batch.length > 1) throw new Error("grade one at a time");
        return batch.map(() => 1);
      },
    };
    await new CompositeReward([{ reward: recorder }]).score(inputs(2), { groupIds: [4, 9] });
    expect(seen[0]).toEqual([4, 9]);
    expect(seen.slice(1).sort()).toEqual([[4], [9]]);
  });

  it("abstains only when every component abstains", async () => {
    const reward = new CompositeReward([
      { reward: fixed("a", [null, 1]), weight: 1 },
      { reward: fixed("b", [null, null]), weight: 2 },
    ]);
    expect(await reward.score(inputs(2))).toEqual([null, 1]);
  });

  it("logs each component under its label (default: the reward's name)", async () => {
    const reward = new CompositeReward([
      { reward: fixed("math", [1, 0]), weight: 1 },
      { reward: fixed("math", [0, 0]), weight: 1, label: "math-strict" },
    ]);
    expect(isDetailedReward(reward)).toBe(true);
    const metrics = compositeMetrics(await reward.scoreDetailed(inputs(2)));
    // total: [1 + 0, 0 + 0] → mean 0.5; math mean 0.5; math-strict mean 0.
    expect(metrics).toEqual({
      reward: 0.5,
      "reward/math": 0.5,
      "reward/math/error_rate": 0,
      "reward/math/abstain_rate": 0,
      "reward/math-strict": 0,
      "reward/math-strict/error_rate": 0,
      "reward/math-strict/abstain_rate": 0,
    });
  });
});

describe("composite failures never crash the batch", () => {
  it("records a throwing grader per sample and scores it as zero", async () => {
    const reward = new CompositeReward([
      { reward: throwsOn("flaky", 1), weight: 1 },
      { reward: fixed("ok", [1, 1, 1]), weight: 1 },
    ]);
    const result = await reward.scoreDetailed(inputs(3));
    // isolateErrors re-grades sample by sample: only sample 1 fails.
    expect(result.components.flaky).toEqual([1, 0, 1]);
    expect(result.errors.flaky[0]).toBeNull();
    expect(result.errors.flaky[1]).toMatchObject({ kind: "threw", message: "Error: cannot grade sample 1" });
    expect(result.errors.flaky[2]).toBeNull();
    // flaky [1, 0, 1] + ok [1, 1, 1] = [2, 1, 2].
    expect(result.total).toEqual([2, 1, 2]);
    expect(compositeMetrics(result)["reward/flaky/error_rate"]).toBeCloseTo(1 / 3, 12);
  });

  it('onError "abstain" drops the failed component from the failed samples', async () => {
    const reward = new CompositeReward(
      [
        { reward: throwsOn("flaky", 1), weight: 1 },
        { reward: fixed("ok", [1, 0.5, 1]), weight: 1 },
      ],
      { onError: "abstain" },
    );
    const result = await reward.scoreDetailed(inputs(3));
    expect(result.components.flaky).toEqual([1, null, 1]);
    // [1 + 1, (abstains) + 0.5, 1 + 1].
    expect(result.total).toEqual([2, 0.5, 2]);
  });

  it("without isolateErrors a throw fails the whole batch for that component", async () => {
    const reward = new CompositeReward([{ reward: throwsOn("flaky", 1), weight: 1 }], {
      isolateErrors: false,
    });
    const result = await reward.scoreDetailed(inputs(3));
    expect(result.components.flaky).toEqual([0, 0, 0]);
    expect(result.errors.flaky.every((e) => e?.kind === "threw")).toBe(true);
  });

  it("records NaN, Infinity, strings and wrong lengths as invalid", async () => {
    const nan: RewardFunction = {
      name: "nan",
      score: () => [1, Number.NaN, Number.POSITIVE_INFINITY, "1" as never],
    };
    const short: RewardFunction = { name: "short", score: () => [1] };
    const nothing: RewardFunction = { name: "nothing", score: () => undefined as never };
    const result = await new CompositeReward([
      { reward: nan },
      { reward: short },
      { reward: nothing },
    ]).scoreDetailed(inputs(4));
    expect(result.components.nan).toEqual([1, 0, 0, 0]);
    expect(result.errors.nan.map((e) => e?.kind ?? null)).toEqual([null, "invalid", "invalid", "invalid"]);
    expect(
      result.errors.short.every((e) => e?.kind === "invalid" && /1 scores for 4 inputs/.test(e.message)),
    ).toBe(true);
    expect(result.errors.nothing.every((e) => e?.kind === "invalid")).toBe(true);
    for (const t of result.total) expect(Number.isFinite(t)).toBe(true);
  });

  it("times out a slow async grader and aborts its signal", async () => {
    let sawAbort = false;
    const slow: RewardFunction = {
      name: "slow",
      score: (batch, options?: RewardCallOptions) =>
        new Promise((resolve) => {
          options?.signal?.addEventListener("abort", () => {
            sawAbort = true;
          });
          setTimeout(() => resolve(batch.map(() => 1)), 5_000).unref();
        }),
    };
    const started = performance.now();
    const result = await new CompositeReward([{ reward: slow }, { reward: fixed("ok", [1, 1]) }], {
      timeoutMs: 50,
    }).scoreDetailed(inputs(2));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(sawAbort).toBe(true);
    expect(result.errors.slow.map((e) => e?.kind)).toEqual(["timeout", "timeout"]);
    expect(result.components.slow).toEqual([0, 0]);
    expect(result.total).toEqual([1, 1]);
  });

  it("runs async components concurrently, at most `concurrency` at a time", async () => {
    let active = 0;
    let peak = 0;
    const make = (name: string): RewardFunction => ({
      name,
      score: async (batch) => {
        active++;
        peak = Math.max(peak, active);
        await sleep(30);
        active--;
        return batch.map(() => 1);
      },
    });
    const parts = ["a", "b", "c", "d", "e", "f"].map((name) => ({ reward: make(name) }));
    await new CompositeReward(parts, { concurrency: 2 }).score(inputs(1));
    expect(peak).toBe(2);
    peak = 0;
    const started = performance.now();
    await new CompositeReward(parts, { concurrency: 6 }).score(inputs(1));
    expect(peak).toBe(6);
    // Six 30 ms graders side by side take about 30 ms, not 180 ms.
    expect(performance.now() - started).toBeLessThan(150);
  });

  it("rejects when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const slow: RewardFunction = { name: "slow", score: () => new Promise(() => {}) };
    const pending = new CompositeReward([{ reward: slow }], { timeoutMs: 0 }).score(inputs(1), {
      signal: controller.signal,
    });
    controller.abort(new Error("run stopped"));
    await expect(pending).rejects.toThrow("run stopped");
  });
});

describe("composite plugin", () => {
  it("builds its components by name through the registry", async () => {
    const container = createContainer();
    register(container);
    const reward = createPlugin(container, "reward", {
      name: "composite",
      aggregation: "sum",
      components: [
        { name: "math-correctness", weight: 1 },
        { name: "math-correctness", weight: 1, label: "math-strict", strict: true },
        { name: "format", weight: 0.5 },
        { name: "length", weight: 1, maxLength: 40, cacheLength: 10, measure: "characters" },
      ],
    });
    expect(isDetailedReward(reward)).toBe(true);
    if (!isDetailedReward(reward)) return;
    const batch: RewardInput[] = [
      { prompt: "6*7", completion: "<think>6*7</think><answer>42</answer>", fields: { answer: "#### 42" } },
      { prompt: "6*7", completion: "<answer>42</answer>", fields: { answer: "#### 42" } },
      {
        prompt: "6*7",
        completion: `<think>${"x".repeat(30)}</think><answer>41</answer>`,
        fields: { answer: "#### 42" },
      },
    ];
    const result = await reward.scoreDetailed(batch);
    // Lengths 37, 19 and 64 characters; free up to 40 − 10 = 30, −1 beyond 40:
    // 37 → (30 − 37)/10 = −0.7; 19 → 0; 64 → −1.
    expect(result.components).toEqual({
      "math-correctness": [1, 1, 0],
      "math-strict": [1, 0, 0],
      format: [1, 0, 1],
      length: [-0.7, 0, -1],
    });
    // sum: 1 + 1 + 0.5 − 0.7 = 1.8; 1 + 0 + 0 + 0 = 1; 0 + 0 + 0.5 − 1 = −0.5.
    expect(result.total[0]).toBeCloseTo(1.8, 12);
    expect(result.total.slice(1)).toEqual([1, -0.5]);
  });

  it("can combine a third-party reward registered in the same container", async () => {
    const container = createContainer();
    register(container);
    getRegistry(container).register("reward", "always-half", () => ({
      name: "always-half",
      score: (b) => b.map(() => 0.5),
    }));
    const reward = createPlugin(container, "reward", { name: "composite", components: ["always-half"] });
    expect(await reward.score(inputs(2))).toEqual([0.5, 0.5]);
  });

  it("names the component and field of a bad option", () => {
    const container = createContainer();
    register(container);
    const build = (options: Record<string, unknown>) =>
      createPlugin(container, "reward", { name: "composite", ...options });
    expect(() => build({ components: [] })).toThrow(/composite\.components/);
    expect(() => build({ components: ["format", { name: "length", cacheLength: -1 }] })).toThrow(
      /composite\.components\[1\]\.length\.cacheLength/,
    );
    expect(() => build({ components: [{ name: "nope" }] })).toThrow(PluginNotFoundError);
    expect(() => build({ components: [{ name: "format", weight: "heavy" }] })).toThrow(
      /components\[0\]\.weight/,
    );
    expect(() => build({ components: ["format", "format"] })).toThrow(/unique label/);
    expect(() => build({ components: ["format"], aggregation: "mean" })).toThrow(/composite\.aggregation/);
    expect(() => build({ components: ["format"], concurrency: 0 })).toThrow(ConfigError);
    expect(() => build({ components: ["format"], timeoutMs: 2 ** 31 })).toThrow(/composite\.timeoutMs/);
    expect(() => build({ components: ["format"], timeoutMs: -1 })).toThrow(/composite\.timeoutMs/);
    expect(() => build({ components: ["format"], timeout: 5 })).toThrow(/composite\.timeout/);
  });
});
