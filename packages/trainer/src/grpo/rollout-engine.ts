import type { GptModel } from "@rlts/backend-tfjs";
import type {
  Disposable,
  GenerateRequest,
  GenerateResult,
  ScoreRequest,
  ScoreResult,
  Weights,
} from "@rlts/core";

/**
 * What the GRPO trainer needs from whatever samples completions: generate, score (the sampling
 * policy's log-probs α for the ratio) and take new weights after an update. Both the tfjs copy below
 * and an onnxruntime engine fit it.
 */
export interface RolloutEngine extends Disposable {
  /** `"tfjs"` or `"onnx"`. */
  readonly name: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  score(request: ScoreRequest): Promise<ScoreResult>;
  setWeights(weights: Weights): void | Promise<void>;
  /** The weights it samples with (to checkpoint a stale off-policy sampler). */
  getWeights(): Weights | Promise<Weights>;
}

/**
 * The tfjs rollout engine: a separate `GptModel` with the policy's shape, synced by `setWeights`.
 * A copy rather than the policy itself, so an off-policy sampler can lag the policy by `v` updates.
 */
export class TfjsRolloutEngine implements RolloutEngine {
  readonly name = "tfjs";

  constructor(private readonly model: GptModel) {}

  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.model.generate(request);
  }

  score(request: ScoreRequest): Promise<ScoreResult> {
    return this.model.score(request);
  }

  setWeights(weights: Weights): void {
    this.model.setWeights(weights, "rollout weights");
  }

  getWeights(): Weights {
    return this.model.getWeights();
  }

  dispose(): void {
    this.model.dispose();
  }
}
