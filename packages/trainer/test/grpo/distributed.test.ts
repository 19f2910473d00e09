import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RedisServerHandle, startRedisServer } from "@rlts/distributed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrpoTrainer, parseConfig } from "../../src/index.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

const prefix = "trainer-test";
const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

interface Worker {
  readonly child: ChildProcess;
  readonly lines: string[];
  waitFor(pattern: RegExp): Promise<string>;
}

/** `rlts worker` as its own process, serving both queues with short lock and stalled-check intervals. */
function startWorker(redis: string, pluginsFrom: string): Worker {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions",
      "@rlts/source",
      main,
      "worker",
      "--queue",
      "rollouts,rewards",
      "--redis",
      redis,
      "--prefix",
      prefix,
      "--plugin-dir",
      pluginsFrom,
      "--lock-ms",
      "1000",
      "--stalled-ms",
      "500",
    ],
    { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["ignore", "ignore", "pipe"] },
  );
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let partial = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const l of listeners) l(line);
    }
  });
  return {
    child,
    lines,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const hit = lines.find((l) => pattern.test(l));
        if (hit) return resolve(hit);
        const listener = (line: string) => {
          if (!pattern.test(line)) return;
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        child.once("exit", (code) => {
          if (listeners.delete(listener)) reject(new Error(`worker exited (${code}):\n${lines.join("\n")}`));
        });
      }),
  };
}

function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let server: RedisServerHandle;
let plugins: string;
let workers: Worker[] = [];
/** Metrics of the first test's run (seed 7), which every run of the same config must repeat. */
let referenceMetrics: Record<string, unknown>[] | undefined;

beforeAll(async () => {
  server = await startRedisServer();
  plugins = await mkdtemp(join(tmpdir(), "rlts-plugins-"));
  await mkdir(join(plugins, "node_modules"));
  await cp(
    // The reward plugin package of @rlts/distributed's own tests (slow-length, always-throws).
    fileURLToPath(new URL("../../../distributed/test/fixtures/rewards-plugin", import.meta.url)),
    join(plugins, "node_modules", "rlts-test-rewards"),
    { recursive: true },
  );
  workers = [0, 1, 2].map(() => startWorker(server.url, plugins));
  await Promise.all(workers.map((w) => w.waitFor(/serving rollouts, rewards/)));
});

afterAll(async () => {
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((r) =>
          w.child.exitCode !== null || w.child.signalCode !== null ? r(null) : w.child.once("exit", r),
        ),
    ),
  );
  await server?.stop();
  await rm(plugins, { recursive: true, force: true });
});

/** The tiny GRPO run, with rewards graded slowly enough (400 ms a group) to kill a worker mid-job. */
async function distributedRun(runDir: string, overrides: Record<string, unknown> = {}) {
  const config = parseConfig(
    tinyConfig(runDir, {
      plugins: ["rlts-test-rewards"],
      reward: [
        { name: "math-correctness", format: "last-number" },
        { name: "slow-length", delayMs: 400 },
      ],
      train: { steps: 3, iterations: 1, minibatchSize: 8 },
      logging: { samplesPerStep: 0, checkpointEvery: 0, progress: "none", report: false },
      distributed: { redis: server.url, prefix, attempts: 2 },
      ...overrides,
    }),
  );
  const messages: string[] = [];
  return {
    messages,
    trainer: await GrpoTrainer.create(config, { baseDir: plugins, log: (m) => messages.push(m) }),
  };
}

describe("distributed GRPO: learner, redis-server and three `rlts worker` processes", () => {
  it("finishes the run with a worker killed mid-job, every group scored exactly once, and repeats its metrics", async () => {
    const dirA = await tempRunDir();
    const a = await distributedRun(dirA);
    let killed: { worker: Worker; job: string } | undefined;
    const running = a.trainer.train();
    // During step 2, SIGKILL the first worker that starts one of its reward jobs (job ids: batch 1
    // generates step 1, batch 2 grades it, batch 4 grades step 2), while its grader sleeps.
    const started = await Promise.race(
      workers.map((w) =>
        w
          .waitFor(new RegExp(`job ${a.trainer.distributed!.runId}-s4-\\d+ start`))
          .then((line) => ({ w, line })),
      ),
    );
    started.w.child.kill("SIGKILL");
    killed = { worker: started.w, job: /job (\S+) start/.exec(started.line)![1] };
    const result = await running;
    expect(result).toMatchObject({ step: 3, interrupted: false });

    const ledger = a.trainer.distributed!.ledger;
    const rewards = ledger.filter((e) => e.queue === "rewards");
    const rollouts = ledger.filter((e) => e.queue === "rollouts");
    // 3 steps × 2 prompts: one reward job per prompt's group, one rollout job per prompt (promptsPerJob 1).
    expect(rewards).toHaveLength(6);
    expect(new Set(rewards.map((e) => e.id)).size).toBe(6);
    expect(rollouts).toHaveLength(6);
    expect(new Set(rollouts.map((e) => e.id)).size).toBe(6);
    expect(ledger.every((e) => e.ok)).toBe(true);
    // The killed worker's job was finished by another one.
    const pid = `:${killed!.worker.child.pid}`;
    const retried = ledger.find((e) => e.id === killed!.job)!;
    expect(retried.worker.endsWith(pid)).toBe(false);
    const metricsA = readJsonl(join(dirA, "metrics.jsonl"));
    expect(metricsA.map((m) => m.step)).toEqual([1, 2, 3]);
    for (const m of metricsA) {
      expect(m["distributed/dead_letter_groups"]).toBe(0);
      expect(m["distributed/stale_rejected"]).toBe(0);
      expect(m).toHaveProperty("reward/slow-length");
    }
    await a.trainer.dispose();
    workers = workers.filter((w) => w !== killed!.worker);

    // The same seed on the two remaining workers: jobs carry their seeds, so the metrics repeat exactly.
    const dirB = await tempRunDir();
    const b = await distributedRun(dirB);
    await b.trainer.train();
    await b.trainer.dispose();
    expect(readJsonl(join(dirB, "metrics.jsonl"))).toEqual(metricsA);
    referenceMetrics = metricsA;
  });

  it("Redis restarts without persistence mid-run: learner and workers wait, reconnect, and the run finishes", async () => {
    const dir = await tempRunDir();
    const run = await distributedRun(dir);
    const running = run.trainer.train();
    const runId = run.trainer.distributed!.runId;
    await Promise.race(workers.map((w) => w.waitFor(new RegExp(`job ${runId}-s4-\\d+ start`))));
    // Everything in Redis is lost: queued jobs, the run description, the weights versions.
    await server.kill();
    await rm(server.dir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 500));
    server = await startRedisServer({ port: server.port });
    const result = await running;
    await run.trainer.dispose();
    expect(result).toMatchObject({ step: 3, interrupted: false });
    // Nothing lost or counted twice: the same metrics as the undisturbed run of the same seed.
    expect(referenceMetrics).toBeDefined();
    expect(readJsonl(join(dir, "metrics.jsonl"))).toEqual(referenceMetrics);
    const rewards = run.trainer.distributed!.ledger.filter((e) => e.queue === "rewards");
    expect(rewards).toHaveLength(6);
    expect(new Set(rewards.map((e) => e.id)).size).toBe(6);
    expect(run.messages.some((m) => /Redis unreachable/.test(m))).toBe(true);
    expect(run.messages.some((m) => /Redis is back/.test(m))).toBe(true);
    expect(run.messages.some((m) => /publishing it again/.test(m))).toBe(true);
  });

  it("overlapped generation with off-policy GRPO: the next batch is sampled on the workers while the learner trains", async () => {
    const dir = await tempRunDir();
    const run = await distributedRun(dir, {
      rollout: { promptsPerStep: 2, groupSize: 4, maxNewTokens: 8, overlap: true },
      objective: { name: "grpo-offpolicy", beta: 0.04 },
      reward: [{ name: "length", measure: "characters", maxLength: 8, cacheLength: 7 }],
      distributed: { redis: server.url, prefix, attempts: 2, maxStaleness: 1 },
    });
    const result = await run.trainer.train();
    await run.trainer.dispose();
    expect(result.step).toBe(3);
    const metrics = readJsonl(join(dir, "metrics.jsonl"));
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    // Versions are published only between batches, so nothing arrives stale even when overlapped.
    for (const m of metrics) {
      expect(m["distributed/stale_rejected"]).toBe(0);
      expect(m["distributed/stale_accepted"]).toBe(0);
      expect(Number.isFinite(m.loss)).toBe(true);
    }
    const rollouts = run.trainer.distributed!.ledger.filter((e) => e.queue === "rollouts");
    expect(rollouts).toHaveLength(6);
  });

  it("a reward plugin that always throws: groups dead-lettered after 2 attempts abstain, training goes on", async () => {
    const dir = await tempRunDir();
    const run = await distributedRun(dir, {
      reward: "always-throws",
      train: { steps: 2, iterations: 1, minibatchSize: 8 },
    });
    const result = await run.trainer.train();
    await run.trainer.dispose();
    expect(result.step).toBe(2);
    const metrics = readJsonl(join(dir, "metrics.jsonl"));
    for (const m of metrics) {
      expect(m["distributed/dead_letter_groups"]).toBe(2);
      // Dead-lettered groups abstain: every completion is left out of the reward statistics (a mean
      // over nothing is not logged) and gets advantage 0.
      expect(m.reward).toBeUndefined();
      expect(m["reward/abstained"]).toBe(1);
      expect(m["advantage/std"]).toBe(0);
      expect(Number.isFinite(m.loss)).toBe(true);
    }
    expect(
      run.messages.filter((m) => /dead-lettered after 2 attempts \(this grader always throws\)/.test(m)),
    ).toHaveLength(4);
  });
});

describe("distributed config", () => {
  it("names the field of a bad Redis URL or weights store", () => {
    expect(() =>
      parseConfig(tinyConfig("run", { distributed: { redis: "http://127.0.0.1:6379" } } as never)),
    ).toThrow(/distributed\.redis.*redis:\/\/127\.0\.0\.1:6379/s);
    expect(() =>
      parseConfig(
        tinyConfig("run", { distributed: { redis: "redis://h:1", weights: "/shared/w" } } as never),
      ),
    ).toThrow(/distributed\.weights/);
    expect(parseConfig(tinyConfig("run", { distributed: { redis: "redis://h:1" } })).distributed).toEqual({
      redis: "redis://h:1",
      weights: "redis",
      maxStaleness: 0,
      attempts: 3,
      promptsPerJob: 1,
      rewards: true,
      prefix: "rlts",
    });
  });

  it("refuses maxStaleness > 0 with an on-policy objective before connecting", async () => {
    const config = parseConfig(
      tinyConfig(await tempRunDir(), { distributed: { redis: "redis://127.0.0.1:1", maxStaleness: 1 } }),
    );
    await expect(GrpoTrainer.create(config, { log: () => {} })).rejects.toThrow(
      /distributed\.maxStaleness: got 1; only the grpo-offpolicy objective/,
    );
  });
});

describe("the optional @rlts/distributed peer", () => {
  it("says how to install it when it is missing", async () => {
    const { loadDistributed } = await import("../../src/grpo/distributed.js");
    // A package name that is not installed stands in for an install without @rlts/distributed.
    await expect(loadDistributed("distributed.redis", "@rlts/distributed-not-installed")).rejects.toThrow(
      /distributed\.redis: .*npm install @rlts\/distributed/,
    );
    expect(typeof (await loadDistributed()).startWorker).toBe("function");
  });
});

describe("rlts worker arguments", () => {
  it("needs --queue and --redis, and names a bad queue", async () => {
    const { runCli } = await import("../../src/index.js");
    const err: string[] = [];
    const io = { out: () => {}, err: (l: string) => err.push(l), onInterrupt: () => () => {} };
    expect(await runCli(["worker", "--queue", "rollouts"], io)).toBe(2);
    expect(err.join("\n")).toContain("rlts worker --queue rollouts|rewards|rollouts,rewards --redis URL");
    err.length = 0;
    expect(await runCli(["worker", "--queue", "grading", "--redis", "redis://127.0.0.1:1"], io)).toBe(1);
    expect(err.join("\n")).toContain('--queue: got "grading"; use rollouts, rewards, or rollouts,rewards');
  });
});
