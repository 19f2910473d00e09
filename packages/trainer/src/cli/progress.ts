import type { Metrics } from "@rlts/core";
import cliProgress from "cli-progress";
import type { StepTiming } from "../grpo/grpo-trainer.js";

/** How progress is shown: a live bar, one plain line per step, or nothing. */
export type ProgressMode = "bar" | "lines" | "none";

/** `auto` → a bar on an interactive terminal, plain lines when not a TTY or under CI. */
export function resolveProgressMode(
  mode: ProgressMode | "auto",
  stream: { readonly isTTY?: boolean } = process.stderr,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProgressMode {
  if (mode !== "auto") return mode;
  return stream.isTTY && !env.CI ? "bar" : "lines";
}

function fmt(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);
}

/** One line of the live figures: reward, accuracy, KL and tokens/s. */
export function progressLine(step: number, total: number, metrics: Metrics, timing: StepTiming): string {
  return (
    `step ${step}/${total} reward=${fmt(metrics.reward)} acc=${fmt(metrics.accuracy)} ` +
    `kl=${fmt(metrics.kl, 4)} loss=${fmt(metrics.loss, 4)} tok/s=${fmt(timing.tokensPerSecond, 0)}`
  );
}

/** Shows training progress on stderr as a bar (cli-progress) or as plain lines. */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private total = 0;

  constructor(
    readonly mode: ProgressMode,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  start(total: number, initial: number): void {
    this.total = total;
    if (this.mode !== "bar") return;
    this.bar = new cliProgress.SingleBar(
      {
        format:
          "{bar} {value}/{total} | reward {reward} | acc {acc} | kl {kl} | {tps} tok/s | eta {eta_formatted}",
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, initial, { reward: "-", acc: "-", kl: "-", tps: "-" });
  }

  update(step: number, metrics: Metrics, timing: StepTiming): void {
    if (this.mode === "bar") {
      this.bar?.update(step, {
        reward: fmt(metrics.reward),
        acc: fmt(metrics.accuracy),
        kl: fmt(metrics.kl, 4),
        tps: fmt(timing.tokensPerSecond, 0),
      });
    } else if (this.mode === "lines") {
      this.write(progressLine(step, this.total, metrics, timing));
    }
  }

  /** A message that must not be overwritten by the bar. */
  log(message: string): void {
    if (this.bar) {
      this.bar.stop();
      this.write(message);
      this.bar.start(this.total, this.bar.getProgress() * this.total);
    } else if (this.mode !== "none") {
      this.write(message);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
