import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { OnnxGpt } from "@rlts/backend-onnx";
import { createRng, type Weights } from "@rlts/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DistributedClient,
  DistributedRolloutEngine,
  encodeWeights,
  type RedisServerHandle,
  startRedisServer,
} from "../src/index.js";
import { randomWeights, spawnWorker, tinyGpt, type WorkerProcess } from "./helpers.js";

const prefix = "rollouts-test";
const G = 2;
const prompts = [
  [1, 2, 3],
  [4, 5],
  [6, 7, 8, 9],
];
const request = (seed: number) => ({
  prompts: prompts.flatMap((p) => Array.from({ length: G }, () => Int32Array.from(p))),
  maxNewTokens: 6,
  temperature: 1,
  stopTokens: [0],
  rng: createRng(seed),
});

/** A local scorer: OnnxGpt plus the weights it was given (what the trainer's onnx engine is). */
async function localEngine(weights: Weights) {
  const gpt = await OnnxGpt.create(tinyGpt, weights);
  let current = weights;
  return {
    gpt,
    score: gpt.score.bind(gpt),
    setWeights(w: Weights) {
      gpt.setWeights(w);
      current = w;
    },
    getWeights: () => current,
    dispose: () => gpt.dispose(),
  };
}

/**
 * Generates `request(5)` while the learner publishes `next`: the queue is held until then, so every
 * job names the version before `next` and its result arrives one version stale.
 */
async function generateAcrossPublish(
  client: DistributedClient,
  engine: DistributedRolloutEngine,
  next: Weights,
) {
  await client.rollouts.queue.pause();
  const generating = engine.generate(request(5));
  await new Promise((r) => setTimeout(r, 200));
  await engine.setWeights(next);
  await client.rollouts.queue.resume();
  return generating;
}

/**
 * What the contract says job k must return, computed here without any queue: prompts k·per … of the
 * request, each repeated G times, sampled by OnnxGpt with createRng(seed_k), where seed_k is the k-th
 * draw ⌊u·2^53⌋ of the request's RNG.
 */
async function expectedCompletions(weights: Weights, seed: number, per: number): Promise<number[][]> {
  const rng = createRng(seed);
  const gpt = await OnnxGpt.create(tinyGpt, weights);
  const out: number[][] = [];
  for (let a = 0; a < prompts.length; a += per) {
    const jobSeed = Math.floor(rng.next() * 2 ** 53);
    const chunk = prompts
      .slice(a, a + per)
      .flatMap((p) => Array.from({ length: G }, () => Int32Array.from(p)));
    const r = await gpt.generate({
      prompts: chunk,
      maxNewTokens: 6,
      temperature: 1,
      stopTokens: [0],
      rng: createRng(jobSeed),
    });
    out.push(...r.completions.map((c) => Array.from(c)));
  }
  await gpt.dispose();
  return out;
}

let server: RedisServerHandle;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  workers = [0, 1].map(() => spawnWorker({ redis: server.url, queues: "rollouts", prefix }));
  await Promise.all(workers.map((w) => w.waitFor(/serving rollouts/)));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await server?.stop();
});

describe("distributed rollouts (redis-server and two worker processes)", () => {
  it("samples each job with its own seed: the results equal a local run of the same jobs, whoever ran them", async () => {
    const v1 = randomWeights(1);
    for (const per of [1, 2]) {
      const client = await DistributedClient.connect(
        { redis: server.url, prefix, promptsPerJob: per },
        { log: () => {} },
      );
      await client.describeRun({ model: tinyGpt, reward: "length", plugins: [] });
      const engine = await DistributedRolloutEngine.create(client, await localEngine(v1), { groupSize: G });
      const first = await engine.generate(request(11));
      const second = await engine.generate(request(11));
      expect(engine.stats.jobs).toBe(Math.ceil(prompts.length / per));
      const expected = await expectedCompletions(v1, 11, per);
      expect(first.completions.map((c) => Array.from(c))).toEqual(expected);
      expect(second.completions.map((c) => Array.from(c))).toEqual(expected);
      expect(first.completions).toHaveLength(prompts.length * G);
      // Every job was collected once, and the workers between them ran all of them.
      const ids = client.ledger.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(client.ledger.every((e) => e.ok && /:\d+$/.test(e.worker))).toBe(true);
      await engine.dispose();
      await client.close();
    }
  });

  it("rejects a result sampled with superseded weights and re-runs its job on the newest version", async () => {
    const [v1, v2] = [randomWeights(1), randomWeights(2)];
    const client = await DistributedClient.connect({ redis: server.url, prefix }, { log: () => {} });
    await client.describeRun({ model: tinyGpt, reward: "length", plugins: [] });
    const engine = await DistributedRolloutEngine.create(client, await localEngine(v1), { groupSize: G });
    // The jobs name version 1; the learner has published version 2 by the time they run.
    const result = await generateAcrossPublish(client, engine, v2);
    expect(engine.stats).toMatchObject({ jobs: 3, staleRejected: 3, staleAccepted: 0, maxStaleness: 0 });
    expect(result.completions.map((c) => Array.from(c))).toEqual(await expectedCompletions(v2, 5, 1));
    await engine.dispose();
    await client.close();
  });

  it("an off-policy learner accepts results up to maxStaleness behind and scores them with their own log α", async () => {
    const [v1, v2] = [randomWeights(1), randomWeights(2)];
    const client = await DistributedClient.connect(
      { redis: server.url, prefix, maxStaleness: 1 },
      { log: () => {} },
    );
    await client.describeRun({ model: tinyGpt, reward: "length", plugins: [] });
    const local = await localEngine(v1);
    const engine = await DistributedRolloutEngine.create(client, local, { groupSize: G, acceptStale: true });
    const result = await generateAcrossPublish(client, engine, v2);
    expect(engine.stats).toMatchObject({ jobs: 3, staleRejected: 0, staleAccepted: 3, maxStaleness: 1 });
    expect(result.completions.map((c) => Array.from(c))).toEqual(await expectedCompletions(v1, 5, 1));
    // α of those samples is version 1's log-prob (independently: a version-1 scorer), not the local v2's.
    const sequences = result.completions.map((c, i) => {
      const p = Int32Array.from(prompts[Math.floor(i / G)]);
      const s = new Int32Array(p.length + c.length);
      s.set(p);
      s.set(c, p.length);
      return s;
    });
    const start = sequences.map((_, i) => prompts[Math.floor(i / G)].length);
    const scored = await engine.score({ sequences, start });
    const v1Scorer = await OnnxGpt.create(tinyGpt, v1);
    const v1Scores = await v1Scorer.score({ sequences, start });
    const v2Scores = await local.gpt.score({ sequences, start });
    let differsFromV2 = false;
    scored.logprobs.forEach((lp, i) => {
      for (let k = 0; k < lp.length; k++) {
        expect(lp[k]).toBeCloseTo(v1Scores.logprobs[i][k], 4);
        if (Math.abs(lp[k] - v2Scores.logprobs[i][k]) > 1e-3) differsFromV2 = true;
      }
    });
    expect(differsFromV2).toBe(true);
    await v1Scorer.dispose();
    await engine.dispose();
    await client.close();
  });

  it("publishes weights to a content-addressed file store and workers sample from it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rlts-weights-"));
    const v1 = randomWeights(3);
    const client = await DistributedClient.connect(
      { redis: server.url, prefix, weights: pathToFileURL(dir).href },
      { log: () => {} },
    );
    await client.describeRun({ model: tinyGpt, reward: "length", plugins: [] });
    const engine = await DistributedRolloutEngine.create(client, await localEngine(v1), { groupSize: G });
    const hash = createHash("sha256").update(encodeWeights(v1)).digest("hex");
    expect(readdirSync(dir)).toEqual([`${hash}.rltsw`]);
    expect(await client.redis.get(`${prefix}:run:${client.runId}:w:1`)).toBe(`sha256:${hash}`);
    const result = await engine.generate(request(9));
    expect(result.completions.map((c) => Array.from(c))).toEqual(await expectedCompletions(v1, 9, 1));
    // Versions older than maxStaleness + 2 are dropped, with their files.
    for (const seed of [4, 5, 6]) await engine.setWeights(randomWeights(seed));
    expect(await client.redis.exists(`${prefix}:run:${client.runId}:w:1`)).toBe(0);
    expect(existsSync(join(dir, `${hash}.rltsw`))).toBe(false);
    expect(readdirSync(dir)).toHaveLength(2);
    await engine.dispose();
    await client.close();
  });
});
