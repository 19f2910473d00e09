import { OnnxGpt, type OnnxGptOptions } from "@rlts/backend-onnx";
import type { GptConfig, GptModel } from "@rlts/backend-tfjs";
import type {
  Disposable,
  GenerateRequest,
  GenerateResult,
  NamedTensor,
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

/** Copies a weights map (the engines keep their own copies; the caller's arrays may change later). */
function copyWeights(weights: Weights): Map<string, NamedTensor> {
  return new Map([...weights].map(([name, t]) => [name, { shape: [...t.shape], data: t.data.slice() }]));
}

/**
 * The onnxruntime rollout engine (`@rlts/backend-onnx`): KV-cache sampling and scoring with the
 * weights as graph feeds, so a weight sync swaps feeds without re-exporting. It keeps a copy of the
 * weights it was given, to checkpoint a lagging sampler or reference.
 */
export class OnnxRolloutEngine implements RolloutEngine {
  readonly name = "onnx";

  private constructor(
    private readonly gpt: OnnxGpt,
    private weights: Map<string, NamedTensor>,
  ) {}

  /** Exports the GPT of `config` in memory, opens it on onnxruntime and feeds it `weights`. */
  static async create(
    config: GptConfig,
    weights: Weights,
    options: OnnxGptOptions = {},
  ): Promise<OnnxRolloutEngine> {
    return new OnnxRolloutEngine(await OnnxGpt.create(config, weights, options), copyWeights(weights));
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.gpt.generate(request);
  }

  score(request: ScoreRequest): Promise<ScoreResult> {
    return this.gpt.score(request);
  }

  setWeights(weights: Weights): void {
    this.gpt.setWeights(weights);
    this.weights = copyWeights(weights);
  }

  getWeights(): Weights {
    return this.weights;
  }

  dispose(): Promise<void> {
    return this.gpt.dispose();
  }
}
