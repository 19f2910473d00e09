import { type Job, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";

/** How a job ended: its result, or dead-lettered after its last attempt. */
export type JobOutcome<R> =
  | { readonly id: string; readonly ok: true; readonly value: R }
  | { readonly id: string; readonly ok: false; readonly reason: string; readonly attemptsMade: number };

/** A job to run: a unique id (repeating an id adds nothing) and its data. */
export interface JobSpec<D> {
  readonly id: string;
  readonly data: D;
}

/** Options of {@link JobRunner}. */
export interface JobRunnerOptions {
  /** Tries per job before it is dead-lettered. */
  readonly attempts: number;
  /** Wait between tries of a failed job, in ms. */
  readonly backoffMs: number;
  /** How often jobs whose events were missed (Redis outage) are looked up, in ms. */
  readonly pollMs: number;
}

/**
 * Adds jobs to one BullMQ queue and waits for every one to end. Results are collected by job id, so a
 * completion seen twice (event and poll) counts once. Completion events are the fast path; a poll finds
 * jobs whose events were lost while Redis was away, and re-adds jobs Redis itself lost (a restart
 * without persistence), under the same id. `beforeResubmit` runs before each poll round and each
 * re-add: the learner uses it to publish again what Redis lost.
 */
export class JobRunner<D, R> {
  readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly eventsConnection: Redis;
  private readonly waiting = new Map<string, { data: D; settle: (outcome: JobOutcome<R>) => void }>();
  /** Ids whose completion arrived more than once (ignored after the first). */
  duplicates = 0;
  /** Jobs re-added because Redis no longer held them. */
  resubmitted = 0;

  constructor(
    readonly name: string,
    connection: Redis,
    prefix: string,
    private readonly options: JobRunnerOptions,
    private readonly beforeResubmit: () => Promise<void> = async () => {},
  ) {
    this.queue = new Queue(name, { connection, prefix });
    this.eventsConnection = connection.duplicate();
    this.eventsConnection.on("error", () => {}); // the learner's main connection reports outages
    this.events = new QueueEvents(name, { connection: this.eventsConnection, prefix });
    this.events.on("completed", ({ jobId, returnvalue }) => {
      this.settle({ id: jobId, ok: true, value: returnvalue as R });
    });
    this.events.on("failed", ({ jobId }) => {
      this.lookUp(jobId).catch(() => {}); // the poll tries again
    });
    // Outages are reported once by the connection's own handler, not per command.
    this.events.on("error", () => {});
    this.queue.on("error", () => {});
  }

  /** Resolves when the event stream is listening (events of jobs added before that would be missed). */
  async ready(): Promise<void> {
    await this.events.waitUntilReady();
    await this.queue.waitUntilReady();
  }

  private settle(outcome: JobOutcome<R>): void {
    const entry = this.waiting.get(outcome.id);
    if (!entry) {
      this.duplicates++;
      return;
    }
    this.waiting.delete(outcome.id);
    entry.settle(outcome);
  }

  private async lookUp(id: string): Promise<void> {
    const entry = this.waiting.get(id);
    if (!entry) return;
    const job = await this.queue.getJob(id);
    if (!job) {
      this.resubmitted++;
      await this.beforeResubmit();
      await this.add([{ id, data: entry.data }]);
      return;
    }
    const state = await job.getState();
    if (state === "completed") {
      this.settle({ id, ok: true, value: job.returnvalue as R });
    } else if (state === "failed") {
      this.settle({ id, ok: false, reason: job.failedReason ?? "failed", attemptsMade: job.attemptsMade });
    }
  }

  private async add(jobs: readonly JobSpec<D>[]): Promise<Job[]> {
    return this.queue.addBulk(
      jobs.map((j) => ({
        name: this.name,
        data: j.data,
        opts: {
          jobId: j.id,
          attempts: this.options.attempts,
          backoff: { type: "fixed", delay: this.options.backoffMs },
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
  }

  /** Runs the jobs and resolves with every outcome, in the order given. */
  async run(jobs: readonly JobSpec<D>[]): Promise<JobOutcome<R>[]> {
    const outcomes = jobs.map(
      (j) =>
        new Promise<JobOutcome<R>>((resolve) => {
          this.waiting.set(j.id, { data: j.data, settle: resolve });
        }),
    );
    await this.add(jobs);
    let polling = true;
    let timer: NodeJS.Timeout | undefined;
    let wake: () => void = () => {};
    const poll = (async () => {
      while (polling) {
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, this.options.pollMs);
        });
        // After a Redis restart without persistence, what jobs name (run, weights) must exist again.
        if (polling) await this.beforeResubmit().catch(() => {});
        for (const j of jobs) {
          // A failed look-up (connection dropped mid-command) is retried on the next round.
          if (polling && this.waiting.has(j.id)) await this.lookUp(j.id).catch(() => {});
        }
      }
    })();
    try {
      return await Promise.all(outcomes);
    } finally {
      polling = false;
      clearTimeout(timer);
      wake();
      await poll;
    }
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
    this.eventsConnection.disconnect();
  }
}
