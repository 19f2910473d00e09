import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readCheckpointManifest } from "@rlts/backend-tfjs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type CliIo, runCli } from "../../src/cli/run-cli.js";
import { tempRunDir, tinyConfig } from "./fixtures.js";

function captureIo(): CliIo & {
  readonly outLines: string[];
  readonly errLines: string[];
  interrupt(): void;
} {
  const outLines: string[] = [];
  const errLines: string[] = [];
  let handler: (() => void) | undefined;
  return {
    outLines,
    errLines,
    out: (l) => outLines.push(l),
    err: (l) => errLines.push(l),
    onInterrupt: (h) => {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
    interrupt: () => handler?.(),
  };
}

async function writeConfig(dir: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, "grpo.yaml");
  await writeFile(path, stringify(tinyConfig("run", { train: { steps: 2 }, ...overrides })));
  return path;
}

describe("rlts CLI", () => {
  it("train logs one progress line per step off a TTY, then eval scores the checkpoint", async () => {
    const dir = await tempRunDir();
    const config = await writeConfig(dir, {
      logging: { samplesPerStep: 1, checkpointEvery: 0, progress: "lines", report: false },
    });
    const io = captureIo();
    expect(await runCli(["train", config], io)).toBe(0);
    const lines = io.errLines.filter((l) => l.startsWith("step "));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^step 2\/2 reward=-?\d\.\d{3} acc=\d\.\d{3} kl=(\d\.\d{4}|\d\.\de-\d+) loss=-?\d\.\d{4} tok\/s=\d+$/,
    );
    const summary = JSON.parse(io.outLines.at(-1)!);
    expect(summary).toMatchObject({ step: 2, interrupted: false });
    expect(existsSync(join(dir, "run", "metrics.jsonl"))).toBe(true);

    const evalIo = captureIo();
    expect(await runCli(["eval", summary.checkpoint, "--limit", "4"], evalIo)).toBe(0);
    const evaluation = JSON.parse(evalIo.outLines.at(-1)!);
    expect(evaluation).toMatchObject({ label: "step 2", step: 2, n: 4 });
    expect(Object.keys(evaluation.accuracy).sort()).toEqual(["length", "math-correctness"]);
  });

  it("a bad config exits 1 with the field and the allowed values, without a stack trace", async () => {
    const dir = await tempRunDir();
    const config = await writeConfig(dir, { rollout: { engine: "vllm" } });
    const io = captureIo();
    expect(await runCli(["train", config], io)).toBe(1);
    expect(io.errLines.join("\n")).toContain('rollout.engine: got "vllm"; use one of "onnx", "tfjs"');
    expect(io.errLines.join("\n")).not.toContain("    at ");
  });

  it("Ctrl-C finishes the step, writes a checkpoint and exits 130; --resume continues", async () => {
    const dir = await tempRunDir();
    const config = await writeConfig(dir, {
      train: { steps: 4 },
      logging: { samplesPerStep: 0, checkpointEvery: 0, progress: "lines", report: false },
    });
    const io = captureIo();
    const err = io.err;
    const wrapped: CliIo = {
      ...io,
      err: (line) => {
        err(line);
        if (line.startsWith("step 1/")) io.interrupt();
      },
    };
    expect(await runCli(["train", config], wrapped)).toBe(130);
    expect(io.errLines.some((l) => l.startsWith("interrupted: finishing the current step"))).toBe(true);
    expect((await readCheckpointManifest(join(dir, "run", "checkpoints", "step-000001.ckpt"))).step).toBe(1);

    const again = captureIo();
    expect(await runCli(["train", config, "--resume"], again)).toBe(0);
    expect(JSON.parse(again.outLines.at(-1)!)).toMatchObject({ step: 4 });
    const steps = readFileSync(join(dir, "run", "metrics.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1, 2, 3, 4]);
  });

  it("the rlts bin handles a real SIGINT", async () => {
    const dir = await tempRunDir();
    const config = await writeConfig(dir, {
      train: { steps: 50 },
      logging: { samplesPerStep: 0, checkpointEvery: 0, progress: "lines", report: false },
    });
    const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions", "@rlts/source", main, "train", config],
      {
        // tsx resolves from the workspace (the config's paths resolve from its own folder).
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        env: { ...process.env, CI: "1" },
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("step 1/50") && !child.killed) child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("interrupted: finishing the current step");
    const steps = (await import("../../src/index.js")).listCheckpointSteps;
    const written = await steps(join(dir, "run"));
    expect(written).toHaveLength(1);
    expect(written[0]).toBeLessThan(50);
  });
});

describe("progress mode", () => {
  it("auto is a bar on an interactive terminal and plain lines when piped or under CI", async () => {
    const { resolveProgressMode } = await import("../../src/index.js");
    expect(resolveProgressMode("auto", { isTTY: true }, {})).toBe("bar");
    expect(resolveProgressMode("auto", { isTTY: true }, { CI: "true" })).toBe("lines");
    expect(resolveProgressMode("auto", { isTTY: false }, {})).toBe("lines");
    expect(resolveProgressMode("none", { isTTY: true }, {})).toBe("none");
  });
});
