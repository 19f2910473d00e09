import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { RltsError } from "@rlts/core";
import { loadConfig } from "../config/load-config.js";
import type { GrpoConfig } from "../config/schema.js";
import { createRunContainer } from "../grpo/build-run.js";
import { loadDistributed } from "../grpo/distributed.js";
import { evaluateCheckpoint } from "../grpo/evaluate-checkpoint.js";
import { GrpoTrainer } from "../grpo/grpo-trainer.js";
import { type ProgressMode, ProgressReporter, resolveProgressMode } from "./progress.js";

/** Where the CLI writes and which signals it listens to (a test passes its own). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Subscribes to Ctrl-C; returns the unsubscribe function. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** Subscribes to SIGTERM (a worker stops when its supervisor asks); returns the unsubscribe function. */
  readonly onTerminate?: (handler: () => void) => () => void;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  onInterrupt: (handler) => {
    process.on("SIGINT", handler);
    return () => process.off("SIGINT", handler);
  },
  onTerminate: (handler) => {
    process.on("SIGTERM", handler);
    return () => process.off("SIGTERM", handler);
  },
};

/** Usage text of `rlts`. */
export const usage = `usage:
  rlts train <config.yaml> [--resume] [--steps N] [--progress auto|bar|lines|none]
      GRPO training as the config says. Writes metrics.jsonl, samples.jsonl and checkpoints/ to the
      config's runDir. Ctrl-C finishes the current step, writes a checkpoint and exits; --resume
      continues from the newest checkpoint exactly.
  rlts eval <checkpoint> [--config config.yaml] [--split test|train] [--limit N] [--out file.json]
      Greedy accuracy of a checkpoint on the task's split, per reward component (JSON on stdout).
  rlts worker --queue rollouts|rewards|rollouts,rewards --redis URL [--prefix rlts] [--concurrency N]
              [--plugin-dir DIR] [--threads N] [--lock-ms N] [--stalled-ms N]
      Serves a distributed run's jobs (needs @rlts/distributed): rollouts on onnxruntime, rewards with the
      run's reward plugins (its plugins: packages resolve from --plugin-dir, default the working
      directory). Runs until Ctrl-C or SIGTERM, which let the current job finish.`;

/** Exit code after Ctrl-C (128 + SIGINT). */
export const interruptedExitCode = 130;

/** Runs the `rlts` command line; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "train") return await train(rest, io);
    if (command === "eval") return await evaluate(rest, io);
    if (command === "worker") return await worker(rest, io);
    if (command === "--help" || command === "-h" || command === "help") {
      io.out(usage);
      return 0;
    }
    io.err(command ? `unknown command ${JSON.stringify(command)}\n${usage}` : usage);
    return 2;
  } catch (error) {
    // Errors rlts throws on purpose carry their own explanation; anything else keeps its stack.
    io.err(error instanceof RltsError ? `error: ${error.message}` : String((error as Error)?.stack ?? error));
    return 1;
  }
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new RltsError(`--${name}: got ${JSON.stringify(text)}; use a whole number ≥ 1`);
  return n;
}

async function train(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      resume: { type: "boolean", default: false },
      steps: { type: "string" },
      progress: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    io.err(usage);
    return 2;
  }
  const { config, baseDir } = await loadConfig(positionals[0]);
  const modeText = values.progress ?? config.logging.progress;
  if (!["auto", "bar", "lines", "none"].includes(modeText)) {
    throw new RltsError(`--progress: got ${JSON.stringify(modeText)}; use one of auto, bar, lines, none`);
  }
  const progress = new ProgressReporter(resolveProgressMode(modeText as ProgressMode | "auto"), io.err);
  const steps = positiveInt("steps", values.steps) ?? config.train.steps;
  const controller = new AbortController();
  let interrupts = 0;
  const unsubscribe = io.onInterrupt(() => {
    interrupts++;
    if (interrupts === 1) {
      progress.log(
        "interrupted: finishing the current step, then writing a checkpoint (Ctrl-C again to abort now)",
      );
      controller.abort();
    } else {
      // A second Ctrl-C abandons the step: checkpoints are written atomically, so the last one stays whole.
      progress.stop();
      io.err("aborted; the last checkpoint written is intact");
      process.exit(interruptedExitCode);
    }
  });
  const trainer = await GrpoTrainer.create(config, {
    baseDir,
    resume: values.resume,
    log: (message) => progress.log(message),
    onStep: (step, metrics, timing) => progress.update(step, metrics, timing),
  });
  try {
    progress.start(steps, trainer.step);
    const result = await trainer.train({ signal: controller.signal, steps });
    progress.stop();
    io.out(
      JSON.stringify({
        step: result.step,
        interrupted: result.interrupted,
        checkpoint: result.checkpoint ?? null,
        report: result.report ?? null,
        runDir: trainer.runDir,
      }),
    );
    return result.interrupted ? interruptedExitCode : 0;
  } finally {
    progress.stop();
    unsubscribe();
    await trainer.dispose();
  }
}

async function evaluate(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      config: { type: "string" },
      split: { type: "string", default: "test" },
      limit: { type: "string" },
      out: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    io.err(usage);
    return 2;
  }
  if (values.split !== "test" && values.split !== "train") {
    throw new RltsError(`--split: got ${JSON.stringify(values.split)}; use test or train`);
  }
  const loaded = values.config ? await loadConfig(values.config) : undefined;
  const evaluation = await evaluateCheckpoint(positionals[0], {
    config: loaded?.config,
    baseDir: loaded?.baseDir,
    split: values.split,
    limit: positiveInt("limit", values.limit),
    log: io.err,
  });
  const text = JSON.stringify(evaluation);
  if (values.out) await writeFile(values.out, `${text}\n`);
  io.out(text);
  return 0;
}

async function worker(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      queue: { type: "string" },
      redis: { type: "string" },
      prefix: { type: "string" },
      concurrency: { type: "string" },
      "plugin-dir": { type: "string" },
      threads: { type: "string" },
      "lock-ms": { type: "string" },
      "stalled-ms": { type: "string" },
    },
  });
  if (positionals.length !== 0 || !values.queue || !values.redis) {
    io.err(usage);
    return 2;
  }
  const distributed = await loadDistributed("--redis");
  const queues = values.queue.split(",").map((q) => q.trim());
  for (const q of queues) {
    if (!(distributed.queueNames as readonly string[]).includes(q))
      throw new RltsError(`--queue: got ${JSON.stringify(q)}; use rollouts, rewards, or rollouts,rewards`);
  }
  const handle = await distributed.startWorker({
    redis: values.redis,
    queues: queues as ("rollouts" | "rewards")[],
    prefix: values.prefix,
    concurrency: positiveInt("concurrency", values.concurrency),
    pluginsFrom: values["plugin-dir"],
    threads: positiveInt("threads", values.threads),
    lockDurationMs: positiveInt("lock-ms", values["lock-ms"]),
    stalledIntervalMs: positiveInt("stalled-ms", values["stalled-ms"]),
    // The trainer's own container: workers know every reward plugin a learner knows.
    createContainer: (plugins, from) => createRunContainer({ plugins: [...plugins] } as GrpoConfig, from),
    log: io.err,
  });
  await new Promise<void>((resolve) => {
    const offInterrupt = io.onInterrupt(done);
    const offTerminate = io.onTerminate?.(done);
    function done() {
      offInterrupt();
      offTerminate?.();
      resolve();
    }
  });
  io.err(
    `worker ${handle.id} stopping after ${handle.done.rollouts} rollout and ${handle.done.rewards} reward jobs`,
  );
  await handle.close();
  return 0;
}
