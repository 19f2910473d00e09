import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RewardInput } from "@rlts/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DistributedClient, type RedisServerHandle, startRedisServer } from "../src/index.js";
import { pluginFolder, spawnWorker, tinyGpt, type WorkerProcess } from "./helpers.js";

const prefix = "failures-test";

/** 4 groups of 2 completions; `slow-length` scores a completion by its number of characters. */
const completions = ["a", "bbb", "cc", "dddd", "", "eeeee", "ffffff", "g"];
const inputs: RewardInput[] = completions.map((completion) => ({ prompt: "p", completion, fields: {} }));
const groupIds = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);

let server: RedisServerHandle;
let dataDir: string;
let plugins: string;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "rlts-redis-data-"));
  server = await startRedisServer({ appendonly: true, dir: dataDir });
  plugins = await pluginFolder();
  workers = [0, 1, 2].map(() =>
    spawnWorker({
      redis: server.url,
      queues: "rewards",
      prefix,
      pluginsFrom: plugins,
      lockMs: 1000,
      stalledMs: 500,
    }),
  );
  await Promise.all(workers.map((w) => w.waitFor(/serving rewards/)));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(plugins, { recursive: true, force: true });
});

describe("failure handling (redis-server and three reward worker processes)", () => {
  it("a worker killed mid-job: its job is retried on another worker and every group is scored once", async () => {
    const client = await DistributedClient.connect({ redis: server.url, prefix }, { log: () => {} });
    await client.describeRun({
      model: tinyGpt,
      reward: { name: "slow-length", delayMs: 400 },
      plugins: ["rlts-test-rewards"],
    });
    const scoring = client.scoreGroups(inputs, groupIds);
    // Kill whichever worker starts a job first, while its grader sleeps.
    const started = await Promise.race(
      workers.map((w, k) => w.waitFor(/job .* start/).then((line) => ({ k, line }))),
    );
    const victim = workers[started.k];
    victim.child.kill("SIGKILL");
    const killedJob = /job (\S+) start/.exec(started.line)![1];
    const result = await scoring;
    // Hand-counted lengths of the completions above.
    expect(result.total).toEqual([1, 3, 2, 4, 0, 5, 6, 1]);
    expect(result.components).toEqual({ "slow-length": [1, 3, 2, 4, 0, 5, 6, 1] });
    expect(result.deadGroups).toEqual([]);
    // Each of the 4 groups collected exactly once; the killed worker's job finished elsewhere.
    const ids = client.ledger.map((e) => e.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    const victimId = `:${victim.child.pid}`;
    const killedEntry = client.ledger.find((e) => e.id === killedJob)!;
    expect(killedEntry.worker.endsWith(victimId)).toBe(false);
    expect(client.ledger.every((e) => !e.worker.endsWith(victimId))).toBe(true);
    // BullMQ recorded one completion of it, after the stalled-job check had moved it back.
    const job = (await client.rewards.queue.getJob(killedJob))!;
    expect(await job.getState()).toBe("completed");
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
    await client.close();
    workers.splice(started.k, 1);
  });

  it("a poison reward job is dead-lettered after `attempts` tries; its group abstains and scoring goes on", async () => {
    const messages: string[] = [];
    const client = await DistributedClient.connect(
      { redis: server.url, prefix, attempts: 2, backoffMs: 50 },
      { log: (m) => messages.push(m) },
    );
    await client.describeRun({ model: tinyGpt, reward: "always-throws", plugins: ["rlts-test-rewards"] });
    const result = await client.scoreGroups(inputs.slice(0, 4), groupIds.slice(0, 4));
    expect(result.total).toEqual([null, null, null, null]);
    expect(result.deadGroups).toEqual([0, 1]);
    expect(result.deadReasons).toEqual(["this grader always throws", "this grader always throws"]);
    expect(messages.filter((m) => /dead-lettered after 2 attempts/.test(m))).toHaveLength(2);
    for (const entry of client.ledger) {
      const job = (await client.rewards.queue.getJob(entry.id))!;
      expect(await job.getState()).toBe("failed");
      expect(job.attemptsMade).toBe(2);
    }
    await client.close();
  });

  it("Redis restarts mid-batch: the learner waits, reconnects and collects every group", async () => {
    const messages: string[] = [];
    const client = await DistributedClient.connect(
      { redis: server.url, prefix, pollMs: 300 },
      { log: (m) => messages.push(m) },
    );
    await client.describeRun({
      model: tinyGpt,
      reward: { name: "slow-length", delayMs: 300 },
      plugins: ["rlts-test-rewards"],
    });
    const scoring = client.scoreGroups(inputs, groupIds);
    await Promise.race(workers.map((w) => w.waitFor(/job .*-s1-\d+ start/)));
    await server.kill();
    await new Promise((r) => setTimeout(r, 700));
    server = await startRedisServer({ appendonly: true, dir: dataDir, port: server.port });
    const result = await scoring;
    expect(result.total).toEqual([1, 3, 2, 4, 0, 5, 6, 1]);
    expect(new Set(client.ledger.map((e) => e.id)).size).toBe(4);
    expect(client.ledger).toHaveLength(4);
    expect(messages.some((m) => /Redis unreachable/.test(m))).toBe(true);
    expect(messages.some((m) => /Redis is back/.test(m))).toBe(true);
    await client.close();
  });
});
