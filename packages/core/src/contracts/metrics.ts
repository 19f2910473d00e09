import { token } from "../token.js";

/** Scalar metrics of one step, by name (`reward/math-correctness`, `loss`, `kl`...). */
export type Metrics = Readonly<Record<string, number>>;

/** Where metrics go: a JSONL file, the console, a progress bar. */
export interface MetricsSink {
  log(step: number, metrics: Metrics): void | Promise<void>;
  /** Writes anything buffered; called at checkpoints and at the end of a run. */
  flush?(): void | Promise<void>;
}

/** Injection token for the run's {@link MetricsSink}. */
export const MetricsSink = token<MetricsSink>("@rlts/core/MetricsSink");

/** Hooks into a training loop. Every method is optional. */
export interface Callback {
  readonly name: string;
  onTrainStart?(info: { readonly totalSteps: number }): void | Promise<void>;
  onStepEnd?(step: number, metrics: Metrics): void | Promise<void>;
  onTrainEnd?(metrics: Metrics): void | Promise<void>;
}

/** Injection token for the run's callbacks (resolve with `resolveAll`). */
export const Callback = token<Callback>("@rlts/core/Callback");
