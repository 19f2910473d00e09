import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { RltsError } from "@rlts/core";

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the operating system. */
  readonly port?: number;
  /** Keep an append-only file so that a restart on the same `dir` keeps the data. Default false. */
  readonly appendonly?: boolean;
  /** Data folder (for the append-only file). Default: a fresh temporary folder, deleted on stop. */
  readonly dir?: string;
  /** The server binary. Default `redis-server` from PATH. */
  readonly binary?: string;
  /** How long to wait for the server to accept connections, in ms. Default 10 000. */
  readonly startTimeoutMs?: number;
}

/** A redis-server child process on loopback. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The data folder. */
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and deletes a temporary data folder. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), keeping its data folder: for restart tests. */
  kill(): Promise<void>;
}

/** Defaults of {@link RedisServerOptions}. */
export const redisServerDefaults = {
  appendonly: false,
  binary: "redis-server",
  startTimeoutMs: 10_000,
} as const;

const installHint =
  "redis-server was not found; install it (Debian/Ubuntu: sudo apt-get install redis-server) or pass its path as `binary`";

function onPath(binary: string): boolean {
  if (binary.includes("/")) return existsSync(binary);
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, binary)));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts a `redis-server` on 127.0.0.1 (no snapshots; an append-only file only when asked) and resolves
 * once it accepts connections. For tests, benchmarks and single-machine runs; production deployments
 * run Redis as a service. Throws naming the install command when the binary is missing.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? redisServerDefaults.binary;
  if (!onPath(binary)) throw new RltsError(installHint);
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "rlts-redis-")));
  const appendonly = options.appendonly ?? redisServerDefaults.appendonly;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    appendonly ? "yes" : "no",
    // With persistence, every write is on disk before the reply: a killed server loses nothing.
    "--appendfsync",
    appendonly ? "always" : "everysec",
    "--dir",
    dir,
    // The trainer's queues must never lose a job to eviction.
    "--maxmemory-policy",
    "noeviction",
  ];
  let output = "";
  const start = (): Promise<ChildProcess> =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new RltsError(
            `redis-server did not start within ${options.startTimeoutMs ?? 10_000} ms:\n${output}`,
          ),
        );
      }, options.startTimeoutMs ?? redisServerDefaults.startTimeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          child.stdout?.resume();
          child.stderr?.resume();
          resolve(child);
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new RltsError(`${installHint} (${error.message})`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new RltsError(`redis-server exited with code ${code} before it was ready:\n${output}`));
      });
    });
  const child = await start();
  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await stopChild("SIGTERM");
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      await stopChild("SIGKILL");
    },
  };
}
