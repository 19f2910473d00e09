// A worker process for the tests: `node --import tsx worker-main.ts <redis> <queues> <prefix> <pluginsFrom> <lockMs> <stalledMs>`.
import "reflect-metadata";
import type { QueueName } from "../src/index.js";
import { startWorker } from "../src/index.js";

const [redis, queues, prefix, pluginsFrom, lockMs, stalledMs] = process.argv.slice(2);
const handle = await startWorker({
  redis,
  queues: queues.split(",") as QueueName[],
  prefix,
  pluginsFrom,
  lockDurationMs: Number(lockMs),
  stalledIntervalMs: Number(stalledMs),
  log: (message) => process.stdout.write(`${message}\n`),
});
process.on("SIGTERM", () => {
  handle.close().then(() => process.exit(0));
});
