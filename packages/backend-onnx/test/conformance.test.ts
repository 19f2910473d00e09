import { GptModel, selectEngine } from "@rlts/backend-tfjs";
import type {
  GenerateRequest,
  GenerateResult,
  ScoreRequest,
  ScoreResult,
  TrainStepResult,
  Weights,
} from "@rlts/core";
import { type ConformanceLanguageModel, describeEngine } from "@rlts/testing";
import type * as tf from "@tensorflow/tfjs-core";
import { OnnxGpt } from "../src/index.js";

// The engine contract with the pairing GRPO uses: backend-tfjs trains, onnxruntime scores and samples,
// and the weights are synced into the onnx sessions after every optimiser step.

await selectEngine({ prefer: "wasm", log: () => {} });

const lm = { vocabSize: 8, contextLength: 8, dModel: 8, nLayers: 2, nHeads: 2, dFF: 16 } as const;

class TrainedOnTfjsSampledOnOnnx implements ConformanceLanguageModel<tf.Tensor> {
  constructor(
    readonly trainer: GptModel,
    readonly rollout: OnnxGpt,
  ) {}
  score(request: ScoreRequest): Promise<ScoreResult> {
    return this.rollout.score(request);
  }
  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.rollout.generate(request);
  }
  trainStep(loss: () => tf.Tensor): TrainStepResult {
    const result = this.trainer.trainStep(loss as () => tf.Scalar);
    this.rollout.setWeights(this.trainer.getWeights());
    return result;
  }
  getWeights(): Weights {
    return this.trainer.getWeights();
  }
  setWeights(weights: Weights): void {
    this.rollout.setWeights(weights);
    this.trainer.setWeights(weights);
  }
  async dispose(): Promise<void> {
    await this.rollout.dispose();
    this.trainer.dispose();
  }
}

describeEngine<tf.Tensor>("onnxruntime rollout synced from tfjs", {
  vocabSize: lm.vocabSize,
  contextLength: lm.contextLength,
  createLanguageModel: async (seed) => {
    // A larger init scale than GPT-2's 0.02 makes the next-token distributions far from uniform.
    const trainer = new GptModel({ ...lm, seed, initStd: 0.5, optimizer: { lr: 1e-2 } });
    const rollout = await OnnxGpt.create(trainer.config, trainer.getWeights(), { intraOpNumThreads: 1 });
    return new TrainedOnTfjsSampledOnOnnx(trainer, rollout);
  },
  // Logits straight from the onnx full-sequence graph.
  logits: async (model, tokens) => (await (model as TrainedOnTfjsSampledOnOnnx).rollout.logits([tokens]))[0],
  languageModelLoss: (model, sequences) => () =>
    (model as TrainedOnTfjsSampledOnOnnx).trainer.languageModelLoss(sequences),
  // onnxruntime has no gradients; backend-tfjs's own conformance run checks them.
  gradientCases: {},
});
