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

/** KL early in a run is tiny: show it in exponent form below 1e-3 rather than as 0.0000. */
function fmtKl(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential(1) : value.toFixed(4);
}

/** One line of the live figures: reward, accuracy, KL and tokens/s. */
export function progressLine(step: number, total: number, metrics: Metrics, timing: StepTiming): string {
  return (
    `step ${step}/${total} reward=${fmt(metrics.reward)} acc=${fmt(metrics.accuracy)} ` +
    `kl=${fmtKl(metrics.kl)} loss=${fmt(metrics.loss, 4)} tok/s=${fmt(timing.tokensPerSecond, 0)}`
  );
}

/** Shows training progress on stderr as a bar (cli-progress) or as plain lines. */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private total = 0;
  private value = 0;
  private payload: Record<string, string> = { reward: "-", acc: "-", kl: "-", tps: "-" };

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
    this.value = initial;
    this.bar.start(total, initial, this.payload);
  }

  update(step: number, metrics: Metrics, timing: StepTiming): void {
    if (this.mode === "bar") {
      this.value = step;
      this.payload = {
        reward: fmt(metrics.reward),
        acc: fmt(metrics.accuracy),
        kl: fmtKl(metrics.kl),
        tps: fmt(timing.tokensPerSecond, 0),
      };
      this.bar?.update(step, this.payload);
    } else if (this.mode === "lines") {
      this.write(progressLine(step, this.total, metrics, timing));
    }
  }

  /** A message that must not be overwritten by the bar. */
  log(message: string): void {
    if (this.bar) {
      this.bar.stop();
      this.write(message);
      this.bar.start(this.total, this.value, this.payload);
    } else if (this.mode !== "none") {
      this.write(message);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
