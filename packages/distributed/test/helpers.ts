import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gptWeightShapes, resolveGptConfig } from "@rlts/backend-onnx";
import { createRng, type NamedTensor, type Weights } from "@rlts/core";
import type { GptShape } from "../src/index.js";

/** A GPT small enough that a rollout job takes milliseconds. */
export const tinyGpt: GptShape = { vocabSize: 12, contextLength: 16, dModel: 8, nLayers: 1, nHeads: 2 };

/** Seeded random weights for {@link tinyGpt} (std 0.5, so that sampled tokens vary with the weights). */
export function randomWeights(seed: number, config: GptShape = tinyGpt): Weights {
  const rng = createRng(seed);
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of gptWeightShapes(resolveGptConfig(config))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isGamma = name.endsWith("gamma");
    for (let i = 0; i < data.length; i++) data[i] = isGamma ? 1 : 0.5 * rng.normal();
    out.set(name, { shape, data });
  }
  return out;
}

/** A folder whose node_modules holds the test reward plugin package `rlts-test-rewards`. */
export async function pluginFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rlts-plugins-"));
  await mkdir(join(dir, "node_modules"), { recursive: true });
  await cp(
    fileURLToPath(new URL("./fixtures/rewards-plugin", import.meta.url)),
    join(dir, "node_modules", "rlts-test-rewards"),
    { recursive: true },
  );
  return dir;
}

/** A worker child process and its output lines. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line (already printed or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Spawns `test/worker-main.ts` in its own process (real processes: what `rlts worker` runs). */
export function spawnWorker(options: {
  redis: string;
  queues: string;
  prefix: string;
  pluginsFrom?: string;
  lockMs?: number;
  stalledMs?: number;
}): WorkerProcess {
  const main = fileURLToPath(new URL("./worker-main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      "--conditions=@rlts/source",
      "--import",
      "tsx",
      main,
      options.redis,
      options.queues,
      options.prefix,
      options.pluginsFrom ?? process.cwd(),
      String(options.lockMs ?? 1000),
      String(options.stalledMs ?? 500),
    ],
    { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let stderr = "";
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const l of listeners) l(line);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    waitFor(pattern, timeoutMs = 30_000) {
      const hit = lines.find((l) => pattern.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.join("\n")}\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const listener = (line: string) => {
          if (pattern.test(line)) {
            clearTimeout(timer);
            listeners.delete(listener);
            resolve(line);
          }
        };
        listeners.add(listener);
        exited.then(() => {
          if (listeners.has(listener)) {
            clearTimeout(timer);
            listeners.delete(listener);
            reject(new Error(`worker exited before ${pattern}; output:\n${lines.join("\n")}\n${stderr}`));
          }
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
