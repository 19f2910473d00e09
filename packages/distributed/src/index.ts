export { checkRedisUrl, connectRedis } from "./connection.js";
export { type JobOutcome, JobRunner, type JobRunnerOptions, type JobSpec } from "./job-runner.js";
export {
  DistributedClient,
  type DistributedOptions,
  DistributedRolloutEngine,
  type DistributedRolloutEngineOptions,
  type DistributedScores,
  distributedDefaults,
  type LedgerEntry,
  type LocalScorer,
  type RolloutStats,
  type RunDescription,
} from "./learner.js";
export {
  type GptShape,
  type QueueName,
  queueNames,
  type RewardJobData,
  type RewardJobResult,
  type RolloutJobData,
  type RolloutJobResult,
  type RunSpec,
  runKeys,
  runKeyTtlSeconds,
} from "./protocol.js";
export {
  freePort,
  type RedisServerHandle,
  type RedisServerOptions,
  redisServerDefaults,
  startRedisServer,
} from "./redis-server.js";
export {
  createWeightStore,
  FileWeightStore,
  fileStoreDir,
  RedisWeightStore,
  type WeightStore,
} from "./weight-store.js";
export { decodeWeights, encodeWeights } from "./weights-codec.js";
export {
  createRunReward,
  startWorker,
  type WorkerHandle,
  type WorkerOptions,
  workerDefaults,
} from "./worker.js";
