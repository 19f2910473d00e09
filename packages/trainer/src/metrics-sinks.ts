import type { Metrics, MetricsSink } from "@rlts/core";

/** Keeps every logged row in memory (tests, benchmarks, notebooks). */
export class MemoryMetricsSink implements MetricsSink {
  readonly rows: { step: number; metrics: Metrics }[] = [];

  log(step: number, metrics: Metrics): void {
    this.rows.push({ step, metrics: { ...metrics } });
  }
}

/** Prints one compact line per logged row with the chosen metrics. */
export class ConsoleMetricsSink implements MetricsSink {
  constructor(
    private readonly keys: readonly string[] = ["env_steps", "episode_return", "eval_return", "loss"],
    private readonly write: (line: string) => void = (line) => console.log(line),
  ) {}

  log(step: number, metrics: Metrics): void {
    const parts = this.keys
      .filter((k) => typeof metrics[k] === "number" && Number.isFinite(metrics[k]))
      .map((k) => `${k}=${Number(metrics[k].toPrecision(5))}`);
    this.write(`update ${step}: ${parts.join(" ")}`);
  }
}
