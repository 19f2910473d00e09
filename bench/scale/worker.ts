// One worker process of the scale benchmark: worker.ts <redis> <prefix> <threads> <queue>.
// tsyringe (the reward plugins' container) needs the Reflect metadata polyfill first.
import "reflect-metadata";
import { type QueueName, startWorker } from "../../packages/distributed/src/index.js";

const [redis, prefix, threads, queue] = process.argv.slice(2);
const handle = await startWorker({
  redis,
  prefix,
  queues: [queue as QueueName],
  threads: Number(threads),
  log: (line) => {
    if (line.startsWith("worker ")) process.stdout.write(`${line}\n`);
  },
});
process.on("SIGTERM", () => {
  handle.close().then(() => process.exit(0));
});
